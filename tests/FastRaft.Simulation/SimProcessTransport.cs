using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Protocol;

namespace FastRaft.Simulation;

/// <summary>
/// A multi-group server incarnation's process transport, owned by the real
/// <c>GroupTransportHub</c> (which polls it on the server's cycle and routes what arrives to the
/// groups by group id). Send hands an owned copy to the simulated network; a message that reached
/// the process waits in its inbox until the hub polls, and is then handed to the hub one message
/// per batch. The wait source is the server's: a wake schedules the process's next cycle.
/// </summary>
internal sealed class SimProcessTransport(Simulation sim, SimServer server, IWaitSource waitSource) : ITransport
{
    private readonly Queue<Message> _inbox = new();
    private ITransportSink? _sink;

    public ulong LocalId => server.Id;

    public bool Disposed { get; private set; }

    /// <summary>The hub (delivery reports go there, and it fans them out to its groups).</summary>
    public ITransportSink Sink => _sink ?? throw new InvalidOperationException($"node {server.Id}'s process transport is not started");

    public IWaitSource WaitSource => waitSource;

    public void Start(ITransportSink sink) => _sink = sink;

    public void Send(in Message message)
    {
        if (!Disposed)
        {
            sim.Transmit(server, Simulation.Own(message));
        }
    }

    public void Flush()
    {
    }

    /// <summary>A message arrived (the network already applied its faults): it waits for the hub's next poll.</summary>
    public void Arrive(in Message m) => _inbox.Enqueue(m);

    public int Poll(long now)
    {
        int n = 0;
        while (_inbox.TryDequeue(out Message m))
        {
            sim.BeforeRoute(server, m);
            // A batch of its own: the hub hands a one-group batch to the group whole, and the group keeps it until it steps it.
            var batch = new InboundBatch();
            batch.Add(m);
            bool taken = Sink.Deliver(batch);
            sim.AfterRoute(server, m, taken);
            n++;
        }
        return n;
    }

    /// <summary>The process is gone: what waited in the inbox is lost.</summary>
    public void Dispose()
    {
        if (Disposed)
        {
            return;
        }
        Disposed = true;
        while (_inbox.TryDequeue(out Message m))
        {
            sim.LostInInbox(m);
        }
    }
}
