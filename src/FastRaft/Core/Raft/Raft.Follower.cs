using System.Runtime.CompilerServices;
using FastRaft.Core.ConfChanges;
using FastRaft.Core.Quorum;
using FastRaft.Core.Storage;
using FastRaft.Protocol;

namespace FastRaft.Core;

// Candidates and followers: their step functions and the handling of appends, heartbeats
// and snapshots from a leader.
internal sealed partial class Raft
{
    /// <summary>Shared by StateCandidate and StatePreCandidate; each counts only its own kind of vote response.</summary>
    private StepResult StepCandidate(in Message m)
    {
        MessageType myVoteRespType = State == NodeRole.PreCandidate ? MessageType.PreVoteResponse : MessageType.VoteResponse;
        switch (m.Type)
        {
            case MessageType.Propose:
                _log.Info($"{Id:x} no leader at term {Term}; dropping proposal");
                return StepResult.ProposalDroppedNoLeader;
            case MessageType.Append:
                BecomeFollower(m.Term, m.From); // m.Term == Term here
                HandleAppendEntries(m);
                break;
            case MessageType.Heartbeat:
                BecomeFollower(m.Term, m.From);
                HandleHeartbeat(m);
                break;
            case MessageType.Snapshot:
                BecomeFollower(m.Term, m.From);
                HandleSnapshot(m);
                break;
            case MessageType.TimeoutNow:
                _log.Debug($"{Id:x} [term {Term} state {EtcdStateText.Of(State)}] ignored MsgTimeoutNow from {m.From:x}");
                break;
            default:
                if (m.Type == myVoteRespType)
                {
                    VoteResult res = Poll(m.From, m.Type, !m.Reject, out int granted, out int rejected);
                    _log.Info($"{Id:x} has received {granted} {EtcdTypeText.Of(m.Type)} votes and {rejected} vote rejections");
                    if (res == VoteResult.VoteWon)
                    {
                        if (State == NodeRole.PreCandidate)
                        {
                            Campaign(CampaignType.Election);
                        }
                        else
                        {
                            BecomeLeader();
                            BcastAppend();
                        }
                    }
                    else if (res == VoteResult.VoteLost)
                    {
                        // A pre-vote response carries our future term; stay at ours.
                        BecomeFollower(Term, LocalIds.None);
                    }
                }
                break;
        }
        return StepResult.Ok;
    }

    private StepResult StepFollower(in Message m)
    {
        // The hot cases in a small frame; everything else out of line.
        switch (m.Type)
        {
            case MessageType.Append:
                ElectionElapsed = 0;
                Lead = m.From;
                HandleAppendEntries(m);
                return StepResult.Ok;
            case MessageType.Heartbeat:
                ElectionElapsed = 0;
                Lead = m.From;
                HandleHeartbeat(m);
                return StepResult.Ok;
            default:
                return StepFollowerOther(m);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private StepResult StepFollowerOther(in Message m)
    {
        switch (m.Type)
        {
            case MessageType.Propose:
                if (Lead == LocalIds.None)
                {
                    _log.Info($"{Id:x} no leader at term {Term}; dropping proposal");
                    return StepResult.ProposalDroppedNoLeader;
                }
                if (_disableProposalForwarding)
                {
                    _log.Info($"{Id:x} not forwarding to leader {Lead:x} at term {Term}; dropping proposal");
                    return StepResult.ProposalDroppedForwardingDisabled;
                }
                Forward(m, Lead);
                break;
            case MessageType.Snapshot:
                ElectionElapsed = 0;
                Lead = m.From;
                HandleSnapshot(m);
                break;
            case MessageType.TransferLeader:
                if (Lead == LocalIds.None)
                {
                    _log.Info($"{Id:x} no leader at term {Term}; dropping leader transfer msg");
                    return StepResult.Ok;
                }
                Forward(m, Lead);
                break;
            case MessageType.ForgetLeader:
                if (_readOnly.Option == ReadOnlyOption.LeaseBased)
                {
                    _log.Error("ignoring MsgForgetLeader due to ReadOnlyLeaseBased");
                    return StepResult.Ok;
                }
                if (Lead != LocalIds.None)
                {
                    _log.Info($"{Id:x} forgetting leader {Lead:x} at term {Term}");
                    Lead = LocalIds.None;
                }
                break;
            case MessageType.TimeoutNow:
                _log.Info($"{Id:x} [term {Term}] received MsgTimeoutNow from {m.From:x} and starts an election to get leadership.");
                // A transfer never uses pre-vote: no partition is being recovered from.
                Hup(CampaignType.Transfer);
                break;
            case MessageType.ReadIndex:
                if (Lead == LocalIds.None)
                {
                    _log.Info($"{Id:x} no leader at term {Term}; dropping index reading msg");
                    return StepResult.Ok;
                }
                Forward(m, Lead);
                break;
            case MessageType.ReadIndexResponse:
                if (m.Entries.Length != 1)
                {
                    _log.Error($"{Id:x} invalid format of MsgReadIndexResp from {m.From:x}, entries count: {m.Entries.Length}");
                    return StepResult.Ok;
                }
                ReadStates.Add(new ReadState(m.Index, OwnedCopy(m.Entries.Span[0].Data.Span)));
                break;
        }
        return StepResult.Ok;
    }

    /// <summary>Re-sends a message to the leader; the entries are copied, the caller's buffers are not kept.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Forward(in Message m, ulong to)
    {
        Message fwd = m;
        fwd.To = to;
        // Send stamps the term the forwarded type needs; a term a peer put on a proposal or a
        // request it asks us to forward must not reach Send (it panics on a preset term).
        fwd.Term = 0;
        fwd.Entries = Arena.AddEntriesWithPayloads(m.Entries.Span);
        fwd.Context = Arena.CopyBytes(m.Context.Span);
        Send(fwd);
    }

    private static ReadOnlyMemory<byte> OwnedCopy(ReadOnlySpan<byte> data) => data.IsEmpty ? ReadOnlyMemory<byte>.Empty : data.ToArray();

    private void HandleAppendEntries(in Message m)
    {
        if (m.Index < Log.Committed)
        {
            Queue(MessageType.AppendResponse, m.From).Index = Log.Committed;
            return;
        }
        if (Log.TryAppend(m.Index, m.LogTerm, m.Commit, m.Entries.Span, out ulong lastNewIndex))
        {
            Queue(MessageType.AppendResponse, m.From).Index = lastNewIndex;
            return;
        }
        RejectAppend(m);
    }

    /// <summary>The append does not match our log: reject it with a hint where to probe next.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RejectAppend(in Message m)
    {
        _log.Debug($"{Id:x} [logterm: {Log.ZeroTermOnOutOfBounds(m.Index)}, index: {m.Index}] rejected MsgApp [logterm: {m.LogTerm}, index: {m.Index}] from {m.From:x}");

        // Hint the leader at the largest (index, term) that may match: at most m.Index and
        // with a term at most m.LogTerm, skipping our uncommitted tail of higher terms.
        ulong hintIndex = Math.Min(m.Index, Log.LastIndex());
        (hintIndex, ulong hintTerm) = Log.FindConflictByTerm(hintIndex, m.LogTerm);
        Send(new Message
        {
            To = m.From,
            Type = MessageType.AppendResponse,
            Index = m.Index,
            Reject = true,
            RejectHint = hintIndex,
            LogTerm = hintTerm,
        });
    }

    private void HandleHeartbeat(in Message m)
    {
        Log.CommitTo(m.Commit);
        Queue(MessageType.HeartbeatResponse, m.From).Context = Arena.CopyBytes(m.Context.Span);
    }

    private void HandleSnapshot(in Message m)
    {
        // A MsgSnap always carries a snapshot; treat a missing one as empty all the same.
        Snapshot s = m.Snapshot ?? Snapshot.Empty;
        ulong sindex = s.Metadata.Index, sterm = s.Metadata.Term;
        if (Restore(s))
        {
            _log.Info($"{Id:x} [commit: {Log.Committed}] restored snapshot [index: {sindex}, term: {sterm}]");
            Send(new Message { To = m.From, Type = MessageType.AppendResponse, Index = Log.LastIndex() });
        }
        else
        {
            _log.Info($"{Id:x} [commit: {Log.Committed}] ignored snapshot [index: {sindex}, term: {sterm}]");
            Send(new Message { To = m.From, Type = MessageType.AppendResponse, Index = Log.Committed });
        }
    }

    /// <summary>
    /// Restores the log and configuration from a snapshot. False when the snapshot was ignored:
    /// obsolete, received in a role other than follower, not naming this node, or already
    /// matched by the log (then only the commit index moves).
    /// </summary>
    private bool Restore(Snapshot s)
    {
        if (s.Metadata.Index <= Log.Committed)
        {
            return false;
        }
        if (State != NodeRole.Follower)
        {
            // Defense in depth: a leader must never apply a snapshot.
            _log.Warning($"{Id:x} attempted to restore snapshot as leader; should never happen");
            BecomeFollower(Term + 1, LocalIds.None);
            return false;
        }

        // Defense in depth: much of the code assumes this node is in the tracker.
        ConfState cs = s.Metadata.ConfState;
        if (Array.IndexOf(cs.Voters, Id) < 0 && Array.IndexOf(cs.Learners, Id) < 0 && Array.IndexOf(cs.VotersOutgoing, Id) < 0)
        {
            _log.Warning($"{Id:x} attempted to restore snapshot but it is not in the ConfState {ConfChangeLogText.FormatConfState(cs)}; should never happen");
            return false;
        }

        if (Log.MatchTerm(s.Metadata.Index, s.Metadata.Term))
        {
            (ulong li, ulong lt) = Log.Tip();
            _log.Info($"{Id:x} [commit: {Log.Committed}, lastindex: {li}, lastterm: {lt}] fast-forwarded commit to snapshot [index: {s.Metadata.Index}, term: {s.Metadata.Term}]");
            Log.CommitTo(s.Metadata.Index);
            return false;
        }

        Log.Restore(s);

        // Rebuild the configuration from the snapshot.
        Trk = new Tracker.ProgressTracker(Trk.MaxInflight, Trk.MaxInflightBytes);
        ConfChangeResult restored = ConfChangeRestore.Restore(new Changer(Trk, Log.LastIndex()), cs);
        if (!restored.Ok)
        {
            // Either a bug in configuration handling or a corrupted snapshot.
            _log.Panic($"unable to restore config {ConfChangeLogText.FormatConfState(cs)}: {restored.Error}");
        }
        AssertConfStatesEquivalent(cs, SwitchToConfig(restored.Config!, restored.Progress!));

        (ulong lastIndex, ulong lastTerm) = Log.Tip();
        _log.Info($"{Id:x} [commit: {Log.Committed}, lastindex: {lastIndex}, lastterm: {lastTerm}] restored snapshot [index: {s.Metadata.Index}, term: {s.Metadata.Term}]");
        return true;
    }
}
