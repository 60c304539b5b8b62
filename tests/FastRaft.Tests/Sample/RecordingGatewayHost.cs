using FastRaft.Sample.Cluster;
using FastRaft.Sample.Gateway;
using FastRaft.Sample.Protocol;

namespace FastRaft.Tests.Sample;

/// <summary>
/// A gateway host without a node: answers every request with an Ok submit reply (at once, or from
/// the thread pool when <see cref="AnswerLater"/>), and records what the connection handed it.
/// </summary>
internal sealed class RecordingGatewayHost(ClientGatewayOptions options) : IGatewayHost
{
    private readonly BoundedQueue<GatewayReply> _pool = new(1024);
    private int _handled;
    private int _closes;

    public ClientGatewayOptions Options { get; } = options;

    public ClientPortCounters Counters { get; } = new();

    /// <summary>Answer from another thread, after the request was handed over.</summary>
    public bool AnswerLater { get; set; }

    public int Handled => Volatile.Read(ref _handled);

    public int Closes => Volatile.Read(ref _closes);

    public GatewayRefusal LastClose { get; private set; }

    public bool TryHandle(in ClientRequest request, ReadOnlyMemory<byte> payload, GatewayConnection connection)
    {
        Interlocked.Increment(ref _handled);
        GatewayReply reply = RentReply();
        reply.SetSubmit(new SubmitReply(request.RequestId, 1, SubmitStatus.Ok, 1, (ulong)Handled, 1, default));
        if (AnswerLater)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Connection.Enqueue(state.Reply), (Connection: connection, Reply: reply), preferLocal: false);
        }
        else
        {
            connection.Enqueue(reply);
        }
        return true;
    }

    public GatewayReply RentReply() => _pool.TryDequeue(out GatewayReply r) ? r : new GatewayReply();

    public void ReturnReply(GatewayReply reply)
    {
        reply.Clear();
        _pool.TryEnqueue(reply);
    }

    public void OnRefused(GatewayConnection connection, GatewayRefusal reason) => Counters.Count(reason);

    public void OnClosed(GatewayConnection connection, GatewayRefusal reason)
    {
        LastClose = reason;
        Interlocked.Increment(ref _closes);
    }
}
