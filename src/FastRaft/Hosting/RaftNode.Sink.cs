using FastRaft.Core;

namespace FastRaft.Hosting;

// The transport's way in: inbound batches and delivery reports, queued for the node thread.
public sealed partial class RaftNode<TResult>
{
    private bool AcceptInbound(InboundBatch batch)
    {
        if (!_stopRequested && _inbound.TryEnqueue(batch) == EnqueueResult.Ok)
        {
            _idle.Wake();
            return true;
        }
        Interlocked.Add(ref _counters.MessagesDropped, batch.Count);
        batch.Release();
        return false;
    }

    private void AcceptReport(in PeerReport report)
    {
        // Reports are advisory: when the queue is full or the node stops, dropping one is harmless.
        if (!_stopRequested && _reports.TryEnqueue(report) == EnqueueResult.Ok)
        {
            _idle.Wake();
        }
    }

    /// <summary>The sink handed to the transport (kept separate so the node's public surface stays small).</summary>
    private sealed class NodeSink(RaftNode<TResult> node) : ITransportSink
    {
        public bool Deliver(InboundBatch batch)
        {
            ArgumentNullException.ThrowIfNull(batch);
            return node.AcceptInbound(batch);
        }

        public void ReportUnreachable(ulong nodeId) => node.AcceptReport(new PeerReport(nodeId, false, default));

        public void ReportSnapshot(ulong nodeId, SnapshotStatus status) => node.AcceptReport(new PeerReport(nodeId, true, status));
    }
}
