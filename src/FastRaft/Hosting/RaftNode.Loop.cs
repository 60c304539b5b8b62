using System.Diagnostics;
using FastRaft.Core;
using FastRaft.Hosting.Requests;
using FastRaft.Protocol;

namespace FastRaft.Hosting;

// The duty cycle: everything here runs on the node thread.
public sealed partial class RaftNode<TResult>
{
    private const int MaxRequestsPerCycle = 256;
    private const int MaxBatchesPerCycle = 64;
    private const int MaxReportsPerCycle = 64;

    private readonly RequestOperation[] _requestScratch = new RequestOperation[MaxRequestsPerCycle];
    private readonly InboundBatch[] _batchScratch = new InboundBatch[MaxBatchesPerCycle];
    private readonly PeerReport[] _reportScratch = new PeerReport[MaxReportsPerCycle];
    private long _tickCount;

    private void Run()
    {
        try
        {
            RestoreStartSnapshot();
            long nextTick = Stopwatch.GetTimestamp() + _tickInterval;
            while (!_stopRequested)
            {
                _idle.BeginCycle();
                int work = DrainInbound() + DrainReports() + DrainRequests();
                long now = Stopwatch.GetTimestamp();
                if (now >= nextTick)
                {
                    Tick();
                    work++;
                    // Like Go's ticker: keep the phase, drop ticks the thread was too late for.
                    nextTick += _tickInterval;
                    if (nextTick <= now)
                    {
                        nextTick = now + _tickInterval;
                    }
                }
                if (_raw.HasReady())
                {
                    HandleReady();
                    work++;
                }
                _counters.LoopIterations++;
                _idle.Idle(work, work == 0 ? Stopwatch.GetElapsedTime(now, nextTick) : TimeSpan.Zero);
            }
        }
        catch (Exception ex)
        {
            Volatile.Write(ref _fault, ex);
            _log.Error($"node {Id:x} stopped on a fault: {ex}");
        }
        _stopRequested = true;
        ShutDown();
        Exception? fault = Volatile.Read(ref _fault);
        if (fault is null)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(fault);
        }
    }

    /// <summary>Steps the messages of every queued inbound batch, then gives the batches back.</summary>
    private int DrainInbound()
    {
        int n = _inbound.Drain(_batchScratch);
        for (int i = 0; i < n; i++)
        {
            InboundBatch batch = _batchScratch[i];
            _batchScratch[i] = null!;
            foreach (ref readonly Message m in batch.Messages)
            {
                StepInbound(m);
            }
            batch.Release();
        }
        return n;
    }

    private int DrainReports()
    {
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

    private int DrainRequests()
    {
        int n = _requests.Drain(_requestScratch);
        // Consecutive proposals go to the core together; anything else keeps its place in between.
        int run = 0;
        for (int i = 0; i < n; i++)
        {
            RequestOperation op = _requestScratch[i];
            if (op.Kind == RequestKind.Propose)
            {
                run++;
                continue;
            }
            SubmitProposals(i - run, run);
            run = 0;
            Submit(op);
        }
        SubmitProposals(n - run, run);
        _requestScratch.AsSpan(0, n).Clear();
        return n;
    }

    private void Tick()
    {
        _raw.Tick();
        _tickCount++;
        _counters.Ticks++;
        ExpireReads();
        ExpireTransfers();
    }
}
