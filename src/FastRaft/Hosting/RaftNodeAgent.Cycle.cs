using System.Diagnostics.CodeAnalysis;
using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Hosting.Agents;
using FastRaft.Protocol;

namespace FastRaft.Hosting;

// The duty cycle: everything here runs on the runner's thread.
public sealed partial class RaftNodeAgent<TResult>
{
    private long _nextTick;
    private bool _clockStarted;
    private long _tickCount;

    /// <summary>The last duty cycle did nothing (then, until input or the next tick, neither would another).</summary>
    private bool _lastCycleIdle;

    /// <summary>
    /// When the next tick is due (a timestamp of <see cref="Time"/>); the runner need not come back
    /// sooner without input. Quiesced: a leader's is far away, a follower's is its next liveness check.
    /// </summary>
    public long Deadline => _quiesced ? _quiescedDeadline : _nextTick;

    /// <summary>Stop was requested or the node died: the runner should close it.</summary>
    public bool IsDone => _stopRequested;

    /// <summary>Starts the transport (unless already started) and restores the state machine from the stored snapshot.</summary>
    public void OnStart()
    {
        try
        {
            Open();
            _applier.RestoreStart();
        }
        catch (Exception ex)
        {
            Die(ex);
        }
    }

    /// <inheritdoc />
    public int DoWork(long now)
    {
        if (_stopRequested)
        {
            return 0;
        }
        try
        {
            int work = Cycle(now);
            _lastCycleIdle = work == 0;
            return work;
        }
        catch (Exception ex)
        {
            Die(ex);
            return 1;
        }
    }

    private int Cycle(long now)
    {
        if (!_clockStarted)
        {
            _clockStarted = true;
            _nextTick = now + _tickInterval;
        }
        if (_quiesced && NothingArrived(now))
        {
            return now < _quiescedDeadline ? 0 : CheckLeaderLiveness(now);
        }
        int work = _inbox.Poll(_transport, now);
        work += _inbox.DrainBatches();
        work += _stepper.SendRefusals(_transport);
        work += _inbox.DrainReports();
        work += TakeRequests();
        bool ticked = false;
        if (!_quiesced && now >= _nextTick)
        {
            Tick();
            ticked = true;
            work++;
            // Like Go's ticker: keep the phase, drop ticks the runner was too late for.
            _nextTick += _tickInterval;
            if (_nextTick <= now)
            {
                _nextTick = now + _tickInterval;
            }
        }
        if (_raw.HasReady())
        {
            HandleReady();
            work++;
        }
        if (_continuationsInline)
        {
            work += ProposeFromContinuations();
        }
        if (_quiesceAfterTicks > 0)
        {
            if (_quiesced)
            {
                CheckQuiesced(now);
            }
            else if (ticked)
            {
                CountQuietTick(now);
            }
        }
        _counters.LoopIterations++;
        return work;
    }

    /// <summary>
    /// A running (not quiesced) node whose last duty cycle did nothing, with no input since and
    /// no tick due: a duty cycle now would do nothing either. Its core has nothing to hand out
    /// (it had nothing then and nothing was stepped, proposed or ticked since), so the runner
    /// need not run one (see <see cref="IDormantAgent"/>). Allocates nothing.
    /// </summary>
    private bool StillIdle(long now) => _lastCycleIdle && now < _nextTick && NothingArrived(now);

    /// <summary>Carries out the queued requests; returns how many.</summary>
    private int TakeRequests()
    {
        int taken = _dispatcher.Dispatch(_tickCount);
        _requestsTaken += taken;
        return taken;
    }

    /// <summary>
    /// With continuations inline, a caller that proposed again from its completion has queued the
    /// next request during this cycle's apply: carry it out in this cycle (its append goes out now),
    /// rather than one cycle later.
    /// </summary>
    private int ProposeFromContinuations()
    {
        int work = TakeRequests();
        if (work > 0 && _raw.HasReady())
        {
            HandleReady();
            work++;
        }
        return work;
    }

    private void Tick()
    {
        _raw.Tick();
        _tickCount++;
        _counters.Ticks++;
        _tracker.ExpireReads(_tickCount);
        _transfers.Expire(_tickCount);
    }

    /// <summary>A Ready in etcd's order: persist, send, apply, Advance; then the snapshot policy.</summary>
    private void HandleReady()
    {
        Ready rd = _raw.Ready();
        _counters.Readys++;

        Persist(rd);
        Send(rd.Messages.Span);

        if (!rd.HardState.IsEmpty)
        {
            _status.Commit = rd.HardState.Commit;
        }
        PublishLeadership(rd);

        if (rd.Snapshot is { IsEmpty: false } snapshot)
        {
            _applier.RestoreReceived(snapshot);
        }
        if (!rd.CommittedEntries.IsEmpty)
        {
            SyncBeforeSingleVoterApply();
            _applier.Apply(rd.CommittedEntries.Span);
        }
        if (!rd.ReadStates.IsEmpty)
        {
            _tracker.OnReadStates(rd.ReadStates.Span, _applier.AppliedIndex);
        }
        if (_tracker.HasReadsAwaitingApply)
        {
            _tracker.CompleteAppliedReads(_applier.AppliedIndex);
        }

        _raw.Advance();
        _storage.AdvanceEpoch();
        _snapshots.AfterReady(_applier.AppliedIndex, _applier.ConfState);
    }

    /// <summary>
    /// A single voter commits on its own write, with no message in between for whoever sends to
    /// sync first: on a shared log (Save only writes) its entries are made durable here, before
    /// they are applied and their results reported.
    /// </summary>
    private void SyncBeforeSingleVoterApply()
    {
        if (_storage is IGroupCommit { HasUnsyncedWrites: true } log
            && _applier.ConfState is { Voters.Length: 1, VotersOutgoing.Length: 0 })
        {
            log.SyncWrites();
        }
    }

    /// <summary>The one place a Ready's writes reach the storage.</summary>
    private void Persist(in Ready rd)
    {
        StorageStatus saved = _storage.Save(rd.HardState, rd.Entries, rd.Snapshot, rd.MustSync);
        if (saved != StorageStatus.Ok)
        {
            ThrowStorageFailure(saved);
        }
    }

    private void Send(ReadOnlySpan<Message> messages)
    {
        if (messages.IsEmpty)
        {
            return;
        }
        foreach (ref readonly Message m in messages)
        {
            _transport.Send(m);
        }
        _transport.Flush();
        _counters.MessagesSent += messages.Length;
    }

    private void PublishLeadership(in Ready rd)
    {
        bool changed = false;
        if (rd.SoftState is SoftState soft)
        {
            _status.Leader = soft.Lead;
            _status.Role = soft.Role;
            changed = true;
        }
        if (!rd.HardState.IsEmpty && rd.HardState.Term != _status.Term)
        {
            _status.Term = rd.HardState.Term;
            changed = true;
        }
        if (!changed)
        {
            return;
        }
        _transfers.OnLeader(_status.Leader);
        Action<LeadershipChange>? handler = LeadershipChanged;
        if (handler is null)
        {
            return;
        }
        try
        {
            handler(new LeadershipChange(_status.Term, _status.Leader, _status.Role));
        }
        catch (Exception ex)
        {
            _log.Error($"node {Id:x}: a LeadershipChanged handler threw: {ex}");
        }
    }

    [DoesNotReturn]
    private void ThrowStorageFailure(StorageStatus status) =>
        throw new InvalidOperationException($"node {Id:x}: storage refused to save a Ready: {status.Describe()}");
}
