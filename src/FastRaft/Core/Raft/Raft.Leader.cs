using System.Runtime.CompilerServices;
using FastRaft.Core.Log;
using FastRaft.Core.Quorum;
using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Core;

// The leader's step function.
internal sealed partial class Raft
{
    private StepResult StepLeader(in Message m)
    {
        // The hot cases first, in a small frame; everything else out of line.
        if (m.Type == MessageType.Propose)
        {
            return StepLeaderProposal(m);
        }
        if (m.Type == MessageType.AppendResponse && !m.Reject && Trk.Progress.TryGetValue(m.From, out Progress? acked))
        {
            acked.RecentActive = true;
            HandleAppendAck(m, acked);
            return StepResult.Ok;
        }
        return StepLeaderOther(m);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private StepResult StepLeaderOther(in Message m)
    {
        // These message types do not need a progress entry for m.From.
        switch (m.Type)
        {
            case MessageType.Beat:
                BcastHeartbeat();
                return StepResult.Ok;

            case MessageType.CheckQuorum:
                if (!Trk.QuorumActive())
                {
                    _log.Warning($"{Id:x} stepped down to follower since quorum is not active");
                    BecomeFollower(Term, LocalIds.None);
                }
                // Everyone but us must prove activity again before the next check.
                foreach (KeyValuePair<ulong, Progress> kv in Trk.Progress)
                {
                    if (kv.Key != Id)
                    {
                        kv.Value.RecentActive = false;
                    }
                }
                return StepResult.Ok;

            case MessageType.Propose:
                return StepLeaderProposal(m);

            case MessageType.ReadIndex:
                StepLeaderReadIndex(m);
                return StepResult.Ok;

            case MessageType.ForgetLeader:
                return StepResult.Ok; // a leader has nothing to forget
        }

        // Every other message type needs the sender's progress.
        if (!Trk.Progress.TryGetValue(m.From, out Progress? pr))
        {
            _log.Debug($"{Id:x} no progress available for {m.From:x}");
            return StepResult.StepPeerNotFound;
        }
        switch (m.Type)
        {
            case MessageType.AppendResponse:
                // Also how the leader acknowledges its own appends (via MsgsAfterAppend).
                pr.RecentActive = true;
                if (m.Reject)
                {
                    HandleAppendRejection(m, pr);
                }
                else
                {
                    HandleAppendAck(m, pr);
                }
                break;

            case MessageType.HeartbeatResponse:
                HandleHeartbeatResponse(m, pr);
                break;

            case MessageType.SnapshotStatus:
                if (pr.State != ProgressState.Snapshot)
                {
                    return StepResult.Ok;
                }
                if (!m.Reject)
                {
                    pr.BecomeProbe();
                    _log.Debug($"{Id:x} snapshot succeeded, resumed sending replication messages to {m.From:x} [{pr}]");
                }
                else
                {
                    // Forget the pending snapshot before probing, or we would probe from its index.
                    pr.PendingSnapshot = 0;
                    pr.BecomeProbe();
                    _log.Debug($"{Id:x} snapshot failed, resumed sending replication messages to {m.From:x} [{pr}]");
                }
                // Wait for the follower's MsgAppResp (after success) or a heartbeat response
                // (after failure) before the next append: never a duplicate send.
                pr.MsgAppFlowPaused = true;
                break;

            case MessageType.Unreachable:
                // An unreachable peer has probably lost appends in flight.
                if (pr.State == ProgressState.Replicate)
                {
                    pr.BecomeProbe();
                }
                _log.Debug($"{Id:x} failed to send message to {m.From:x} because it is unreachable [{pr}]");
                break;

            case MessageType.TransferLeader:
                HandleTransferLeader(m, pr);
                break;
        }
        return StepResult.Ok;
    }

    private StepResult StepLeaderProposal(in Message m)
    {
        if (m.Entries.IsEmpty || LeadTransferee != LocalIds.None || !Trk.Progress.ContainsKey(Id))
        {
            return RefuseProposal(m);
        }

        _scratch.Clear();
        _scratch.AddRange(m.Entries.Span);
        for (int i = 0; i < _scratch.Count; i++)
        {
            EntryType type = _scratch[i].Type;
            if ((type is EntryType.ConfChange or EntryType.ConfChangeV2) && !AdmitConfChange(i))
            {
                return StepResult.ProposalDroppedMalformed;
            }
        }

        if (!AppendEntry(_scratch))
        {
            return StepResult.ProposalDroppedUncommittedSizeLimit;
        }
        BcastAppend();
        return StepResult.Ok;
    }

    /// <summary>Why a proposal cannot be taken now: empty (a bug), not a member, or a leader transfer under way.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private StepResult RefuseProposal(in Message m)
    {
        if (m.Entries.IsEmpty)
        {
            _log.Panic($"{Id:x} stepped empty MsgProp");
        }
        if (!Trk.Progress.ContainsKey(Id))
        {
            // Removed from the configuration while leading: drop new proposals.
            return StepResult.ProposalDroppedNotInConfiguration;
        }
        _log.Debug($"{Id:x} [term {Term}] transfer leadership to {LeadTransferee:x} is in progress; dropping proposal");
        return StepResult.ProposalDroppedLeaderTransferring;
    }

    /// <summary>
    /// Checks the configuration change proposed at <c>_scratch[i]</c>: one that may not be
    /// proposed now is replaced by an empty entry (etcd's rule); false when it does not decode.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool AdmitConfChange(int i)
    {
        if (!TryDecodeConfChange(_scratch[i], out IConfChange? cc, out string? error))
        {
            _log.Error($"{Id:x} dropping proposal with a malformed conf change: {error}");
            return false;
        }

        bool alreadyPending = PendingConfIndex > Log.Applied;
        bool alreadyJoint = Trk.Config.Voters.Outgoing.Count > 0;
        bool wantsLeaveJoint = cc.AsV2().Changes.Length == 0;

        string? failedCheck = null;
        if (alreadyPending)
        {
            failedCheck = $"possible unapplied conf change at index {PendingConfIndex} (applied to {Log.Applied})";
        }
        else if (alreadyJoint && !wantsLeaveJoint)
        {
            failedCheck = "must transition out of joint config first";
        }
        else if (!alreadyJoint && wantsLeaveJoint)
        {
            failedCheck = "not in joint state; refusing empty conf change";
        }

        if (failedCheck is not null && !_disableConfChangeValidation)
        {
            _log.Info($"{Id:x} ignoring conf change {ConfChangeLogText.Format(cc)} at config {Trk.Config}: {failedCheck}");
            _scratch.Replace(i, new Entry(0, 0));
        }
        else
        {
            PendingConfIndex = Log.LastIndex() + (ulong)i + 1;
        }
        return true;
    }

    private void HandleAppendRejection(in Message m, Progress pr)
    {
        // RejectHint is where the follower suggests to probe next and LogTerm its term there.
        _log.Debug($"{Id:x} received MsgAppResp(rejected, hint: (index {m.RejectHint}, term {m.LogTerm})) from {m.From:x} for index {m.Index}");
        if (pr.State == ProgressState.Replicate && m.RejectHint < pr.Match)
        {
            // Beyond etcd: a fresh rejection always hints at or above Match (the follower still
            // holds the entries it acknowledged, and their terms are at most m.LogTerm), so one
            // below Match was sent before that acknowledgement and was reordered behind it.
            // Acting on it would rewind Next and resend the whole window; on a reordering network
            // each resent window produces more such rejections and the traffic multiplies.
            _log.Debug($"{Id:x} ignoring stale rejection from {m.From:x} for index {m.Index} (hint {m.RejectHint} below match {pr.Match})");
            return;
        }
        ulong nextProbeIdx = m.RejectHint;
        if (m.LogTerm > 0)
        {
            // Skip every index where our term is above the follower's term at the hint: a
            // probe there must fail too. This probes at most once per term in our log.
            (nextProbeIdx, _) = Log.FindConflictByTerm(m.RejectHint, m.LogTerm);
        }
        if (pr.TryDecreaseTo(m.Index, nextProbeIdx))
        {
            _log.Debug($"{Id:x} decreased progress of {m.From:x} to [{pr}]");
            if (pr.State == ProgressState.Replicate)
            {
                pr.BecomeProbe();
            }
            TrySendAppend(m.From, pr, sendIfEmpty: true);
        }
    }

    private void HandleAppendAck(in Message m, Progress pr)
    {
        // Update on a higher match, or when a probing peer confirms its match again (so it can
        // move back to replicating, see heartbeat_resp_recovers_from_probing).
        if (!(pr.TryUpdate(m.Index) || (pr.Match == m.Index && pr.State == ProgressState.Probe)))
        {
            return;
        }
        switch (pr.State)
        {
            case ProgressState.Probe:
                pr.BecomeReplicate();
                break;
            case ProgressState.Snapshot when pr.Match + 1 >= Log.FirstIndex():
                RecoverFromSnapshotState(m.From, pr);
                break;
            case ProgressState.Replicate:
                pr.Inflights.FreeLE(m.Index);
                break;
        }

        // A match at or below the commit index cannot raise the quorum's index above it (it adds
        // no voter past the commit index), so the quorum is not recomputed for it.
        if (pr.Match > Log.Committed && TryCommit())
        {
            // The commit index moved in this term: pending reads can be served.
            ReleasePendingReadIndexMessages();
            BcastAppend();
        }
        else if (Id != m.From && pr.CanBumpCommit(Log.Committed))
        {
            // The follower may be missing the latest commit index; tell it before the next heartbeat.
            TrySendAppend(m.From, pr, sendIfEmpty: true);
        }
        // Freed inflight capacity may allow more (size-limited) appends at once.
        if (Id != m.From)
        {
            while (TrySendAppend(m.From, pr, sendIfEmpty: false))
            {
            }
        }
        if (m.From == LeadTransferee && pr.Match == Log.LastIndex())
        {
            FinishTransfer(m.From);
        }
        FinishStepDownIfReady();
    }

    /// <summary>The follower can be caught up from the log, whatever snapshot it applied.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecoverFromSnapshotState(ulong from, Progress pr)
    {
        _log.Debug($"{Id:x} recovered from needing snapshot, resumed sending replication messages to {from:x} [{pr}]");
        pr.BecomeProbe();
        pr.BecomeReplicate();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void FinishTransfer(ulong to)
    {
        _log.Info($"{Id:x} sent MsgTimeoutNow to {to:x} after received MsgAppResp");
        SendTimeoutNow(to);
    }

    private void HandleHeartbeatResponse(in Message m, Progress pr)
    {
        pr.RecentActive = true;
        pr.MsgAppFlowPaused = false;

        // Even a paused follower gets an (empty) append, so a window of lost appends cannot
        // stall it; a caught-up probing follower gets one so it can return to replicating.
        if (pr.Match < Log.LastIndex() || pr.State == ProgressState.Probe)
        {
            TrySendAppend(m.From, pr, sendIfEmpty: true);
        }

        if (!ReadsUseHeartbeats || m.Context.IsEmpty)
        {
            return;
        }
        _readOnly.RecvAck(m.From, m.Context.Span);
        _confirmedReads.Clear();
        _readOnly.TakeConfirmed(Trk.Config.Voters, _confirmedReads);
        if (_confirmedReads.Count > 0)
        {
            // A quorum answered a heartbeat round sent since the lease became suspect.
            _leaseSuspect = false;
        }
        foreach (ReadOnly.Request rs in _confirmedReads)
        {
            RespondToReadIndex(rs.Req, rs.Index);
        }
        _confirmedReads.Clear();
    }

    private void HandleTransferLeader(in Message m, Progress pr)
    {
        if (pr.IsLearner)
        {
            _log.Debug($"{Id:x} is learner. Ignored transferring leadership");
            return;
        }
        ulong leadTransferee = m.From;
        ulong lastLeadTransferee = LeadTransferee;
        if (lastLeadTransferee != LocalIds.None)
        {
            if (lastLeadTransferee == leadTransferee)
            {
                _log.Info($"{Id:x} [term {Term}] transfer leadership to {leadTransferee:x} is in progress, ignores request to same node {leadTransferee:x}");
                return;
            }
            AbortLeaderTransfer();
            _log.Info($"{Id:x} [term {Term}] abort previous transferring leadership to {lastLeadTransferee:x}");
        }
        if (leadTransferee == Id)
        {
            _log.Debug($"{Id:x} is already leader. Ignored transferring leadership to self");
            return;
        }
        _log.Info($"{Id:x} [term {Term}] starts to transfer leadership to {leadTransferee:x}");
        // The transfer must finish within an election timeout.
        ElectionElapsed = 0;
        LeadTransferee = leadTransferee;
        if (pr.Match == Log.LastIndex())
        {
            SendTimeoutNow(leadTransferee);
            _log.Info($"{Id:x} sends MsgTimeoutNow to {leadTransferee:x} immediately as {leadTransferee:x} already has up-to-date log");
        }
        else
        {
            SendAppend(leadTransferee);
        }
    }

    /// <summary>Advances the commit index to what a quorum has matched (own-term entries only).</summary>
    private bool TryCommit() => Log.TryCommit(Trk.Committed(), Term);

    /// <summary>Appends entries at the leader's term and tracks their size; false when the uncommitted limit drops them.</summary>
    private bool AppendEntry(EntryBuffer es)
    {
        ulong li = Log.LastIndex();
        for (int i = 0; i < es.Count; i++)
        {
            es.Replace(i, es[i] with { Term = Term, Index = li + 1 + (ulong)i });
        }
        if (!IncreaseUncommittedSize(es.Span))
        {
            LogUncommittedLimit();
            return false;
        }
        li = Log.Append(es.Span);
        // The leader acknowledges its own entries once they are durable, like any follower.
        Queue(MessageType.AppendResponse, Id).Index = li;
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LogUncommittedLimit() =>
        _log.Warning($"{Id:x} appending new entries to log would exceed uncommitted entry size limit; dropping proposal");

    /// <summary>
    /// Accounts for proposed payload bytes; refuses when they would exceed the limit, except
    /// that an empty uncommitted tail accepts anything and empty payloads are always accepted.
    /// </summary>
    private bool IncreaseUncommittedSize(ReadOnlySpan<Entry> ents)
    {
        ulong s = EntrySizes.PayloadsSize(ents);
        if (_uncommittedSize > 0 && s > 0 && _uncommittedSize + s > _maxUncommittedSize)
        {
            return false;
        }
        _uncommittedSize += s;
        return true;
    }

    /// <summary>Committed entries leave the uncommitted budget; saturates at zero (it is an estimate).</summary>
    private void ReduceUncommittedSize(ulong s) => _uncommittedSize = s > _uncommittedSize ? 0 : _uncommittedSize - s;

    private static bool TryDecodeConfChange(in Entry e, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IConfChange? cc, out string? error)
    {
        if (e.Type == EntryType.ConfChange)
        {
            bool ok = ConfChangeCodec.TryDecodeV1(e.Data.Span, out ConfChange v1, out error);
            cc = ok ? v1 : null;
            return ok;
        }
        bool ok2 = ConfChangeCodec.TryDecodeV2(e.Data.Span, out ConfChangeV2? v2, out error);
        cc = ok2 ? v2 : null;
        return ok2 && cc is not null;
    }
}
