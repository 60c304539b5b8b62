using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Protocol;

namespace FastRaft.Simulation;

/// <summary>
/// One single-group node incarnation's connection to the simulated network, polled by its agent. Send hands a
/// copy of each message to the simulation's network (which decides its fate and delivery time);
/// messages that reached this node wait in its inbox until the agent polls, and are stepped then,
/// one at a time. It is also the agent's wait source: a wake (a request queued, a delivery report)
/// schedules a duty cycle. Everything runs on the simulation's thread.
/// </summary>
internal sealed class SimTransport(Simulation sim, SimNode node, int incarnation) : ITransport, IWaitSource
{
    private readonly Queue<Message> _inbox = new();

    /// <summary>Reused for every delivery: the sink steps a batch during the poll and resets it.</summary>
    private readonly InboundBatch _batch = new();

    private ITransportSink? _sink;

    public ulong LocalId => node.Id;

    public int Incarnation => incarnation;

    public bool Disposed { get; private set; }

    /// <summary>The agent's sink (delivery reports go there).</summary>
    public ITransportSink Sink => _sink ?? throw new InvalidOperationException($"node {node.Id}'s transport is not started");

    public IWaitSource WaitSource => this;

    public void Start(ITransportSink sink) => _sink = sink;

    public void Send(in Message message)
    {
        if (!Disposed)
        {
            sim.Send(node, message);
        }
    }

    public void Flush()
    {
    }

    /// <summary>A message arrived (the network already applied its faults): it waits for the next poll.</summary>
    public void Arrive(in Message m) => _inbox.Enqueue(m);

    public int Poll(long now)
    {
        int n = 0;
        while (_inbox.TryDequeue(out Message m))
        {
            sim.BeforeStep(node, m);
            _batch.Add(m);
            // Stepped at once: the agent is polling on this thread.
            Sink.Deliver(_batch);
            sim.AfterStep(node, m);
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

    /// <summary>Never called: a manual invoker does not idle.</summary>
    public void Wait(TimeSpan timeout) => throw new NotSupportedException("a simulated node never waits");

    public void Wake()
    {
        if (!Disposed)
        {
            sim.Wake(node, incarnation);
        }
    }
}
