using FastRaft.Hosting;
using FastRaft.Protocol;

namespace FastRaft.Tests.Node;

/// <summary>
/// The transport of a <see cref="TestCluster"/> node: what the node sends is copied into the
/// cluster's list of messages in flight, for the test to inspect, drop or deliver; what the test
/// delivers waits here until the node's next duty cycle polls it (polled mode, on the test thread).
/// </summary>
internal sealed class CapturingTransport(ulong localId, List<Message> sent) : ITransport
{
    private readonly List<Message> _inbox = [];
    private ITransportSink? _sink;

    public ulong LocalId => localId;

    public void Start(ITransportSink sink) => _sink = sink;

    public void Send(in Message message) => sent.Add(TestCluster.Own(message));

    public void Flush()
    {
    }

    /// <summary>Queues a message (owned) for the node; it is stepped in the node's next duty cycle.</summary>
    public void Enqueue(in Message message) => _inbox.Add(message);

    public int Poll(long now)
    {
        if (_inbox.Count == 0 || _sink is null)
        {
            return 0;
        }
        var batch = new InboundBatch();
        foreach (Message m in _inbox)
        {
            batch.Add(m);
        }
        _inbox.Clear();
        _sink.Deliver(batch);
        return 1;
    }

    public void Dispose() => _inbox.Clear();
}
