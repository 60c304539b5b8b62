using FastRaft.Core;
using FastRaft.Hosting.Agents;

namespace FastRaft.Hosting.Inbound;

/// <summary>
/// The sink handed to the transport. A batch delivered on the node thread while it polls the
/// transport is stepped at once (no queue, no hand-off); a batch delivered from another thread (a
/// threaded transport's receive loop) is queued for the node thread, which is woken. Delivery
/// reports are always queued: a transport may report from inside Send or Flush, in the middle of a
/// Ready, where the core must not be stepped.
/// </summary>
internal sealed class NodeInbox : ITransportSink
{
    private const int MaxBatchesPerCycle = 64;
    private const int MaxReportsPerCycle = 64;
    private const int MaxQueuedReports = 4096;

    /// <summary>
    /// The queues' and scratch arrays' first length: they grow (doubling) to what the node gets, so
    /// an idle group of thousands in a process holds little (a polled transport never queues).
    /// </summary>
    private const int InitialCapacity = 4;

    private readonly MpscRing<InboundBatch> _batches;
    private readonly MpscRing<PeerReport> _reports;

    // Empty until something is queued; cleared after each use, so a quiet node can drop them.
    private InboundBatch[] _batchScratch = [];
    private PeerReport[] _reportScratch = [];
    private readonly InboundStepper _stepper;
    private readonly RawNode _raw;
    private readonly IWaitSource _wake;
    private readonly NodeCounters _counters;

    /// <summary>The managed id of the thread inside <see cref="ITransport.Poll"/>, or 0.</summary>
    private volatile int _pollingThread;
    private volatile bool _stopping;

    public NodeInbox(InboundStepper stepper, RawNode raw, IWaitSource wake, NodeCounters counters, int maxQueuedBatches)
    {
        _stepper = stepper;
        _raw = raw;
        _wake = wake;
        _counters = counters;
        _batches = new MpscRing<InboundBatch>(InitialCapacity, maxQueuedBatches);
        _reports = new MpscRing<PeerReport>(InitialCapacity, MaxQueuedReports);
    }

    /// <summary>Whether no batch or report waits for the node thread (a hint: producers may be adding).</summary>
    public bool IsEmpty => _batches.Count == 0 && _reports.Count == 0;

    public bool Deliver(InboundBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (_pollingThread == Environment.CurrentManagedThreadId)
        {
            _stepper.Step(batch);
            batch.Release();
            return true;
        }
        if (!_stopping && _batches.TryEnqueue(batch) == EnqueueResult.Ok)
        {
            _wake.Wake();
            return true;
        }
        Interlocked.Add(ref _counters.MessagesDropped, batch.Count);
        batch.Release();
        return false;
    }

    public void ReportUnreachable(ulong nodeId) => Report(new PeerReport(nodeId, false, default));

    public void ReportSnapshot(ulong nodeId, SnapshotStatus status) => Report(new PeerReport(nodeId, true, status));

    /// <summary>Polls the transport on the node thread; what it delivers meanwhile is stepped at once.</summary>
    public int Poll(ITransport transport, long now)
    {
        _pollingThread = Environment.CurrentManagedThreadId;
        try
        {
            return transport.Poll(now);
        }
        finally
        {
            _pollingThread = 0;
        }
    }

    /// <summary>Steps the queued batches (up to a cycle's worth), then gives them back; returns how many.</summary>
    public int DrainBatches()
    {
        int queued = _batches.Count;
        if (queued == 0)
        {
            return 0;
        }
        if (queued > _batchScratch.Length && _batchScratch.Length < MaxBatchesPerCycle)
        {
            _batchScratch = new InboundBatch[ScratchLength(queued, MaxBatchesPerCycle)];
        }
        int n = _batches.Drain(_batchScratch);
        for (int i = 0; i < n; i++)
        {
            InboundBatch batch = _batchScratch[i];
            _batchScratch[i] = null!;
            _stepper.Step(batch);
            batch.Release();
        }
        return n;
    }

    /// <summary>Hands the queued delivery reports to the core; returns how many.</summary>
    public int DrainReports()
    {
        int queued = _reports.Count;
        if (queued == 0)
        {
            return 0;
        }
        if (queued > _reportScratch.Length && _reportScratch.Length < MaxReportsPerCycle)
        {
            _reportScratch = new PeerReport[ScratchLength(queued, MaxReportsPerCycle)];
        }
        int n = _reports.Drain(_reportScratch);
        for (int i = 0; i < n; i++)
        {
            PeerReport r = _reportScratch[i];
            if (r.IsSnapshot)
            {
                _raw.ReportSnapshot(r.NodeId, r.SnapshotStatus);
            }
            else
            {
                _raw.ReportUnreachable(r.NodeId);
            }
        }
        return n;
    }

    /// <summary>Whether the scratch arrays are allocated (tests of <see cref="ReleaseScratch"/>).</summary>
    public bool HoldsScratch => _batchScratch.Length + _reportScratch.Length != 0;

    /// <summary>Drops the (empty) scratch arrays: a quiet node's; what arrives next grows them anew.</summary>
    public void ReleaseScratch()
    {
        _batchScratch = [];
        _reportScratch = [];
    }

    private static int ScratchLength(int queued, int max) =>
        (int)Math.Min(max, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(queued, InitialCapacity)));

    /// <summary>From now on deliveries are refused (any thread).</summary>
    public void StopAccepting() => _stopping = true;

    /// <summary>Refuses every later delivery and drops what is queued, counted (at shutdown).</summary>
    public void Close()
    {
        _stopping = true;
        _batches.Close();
        _reports.Close();
        // Draining until 0 needs room for at least one item.
        _batchScratch = new InboundBatch[MaxBatchesPerCycle];
        _reportScratch = new PeerReport[MaxReportsPerCycle];
        int n;
        while ((n = _batches.Drain(_batchScratch)) > 0)
        {
            for (int i = 0; i < n; i++)
            {
                Interlocked.Add(ref _counters.MessagesDropped, _batchScratch[i].Count);
                _batchScratch[i].Release();
                _batchScratch[i] = null!;
            }
        }
        while (_reports.Drain(_reportScratch) > 0)
        {
        }
    }

    private void Report(in PeerReport report)
    {
        // Reports are advisory: when the queue is full or the node stops, dropping one is harmless.
        if (!_stopping && _reports.TryEnqueue(report) == EnqueueResult.Ok)
        {
            _wake.Wake();
        }
    }
}
