using FastRaft.Core.ConfChanges;
using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Core;

// Checks on a peer's message before it is stepped. etcd trusts its peers and panics when a
// message breaks an invariant (a commit beyond the log, entries overwriting committed ones, an
// unrestorable configuration); here such a message is refused before anything of it is used,
// so a faulty or hostile member, or bit rot on the way, can neither crash a node nor get
// anything persisted. The node's own invariants (local misuse, storage answering nonsense)
// still panic.
internal sealed partial class Raft
{
    /// <summary>
    /// Whether a message from a peer may be stepped: Ok, or the Refused* reason. Changes
    /// nothing. A few compares per message, one pass over an append's entries; only a snapshot
    /// (rare) costs more: its configuration is restored on the side first.
    /// </summary>
    internal StepResult CheckPeerMessage(in Message m)
    {
        if (m.Term > RaftLimits.MaxTerm)
        {
            return StepResult.RefusedTermTooHigh;
        }
        if (m.From == Id && OnlyFromPeers(m.Type))
        {
            // Answering it would address a message to this node (Send panics on that).
            return StepResult.RefusedFromSelf;
        }
        if (m.Term == 0)
        {
            if (NeedsTerm(m.Type))
            {
                return StepResult.RefusedMissingTerm;
            }
        }
        else if (m.Term < Term)
        {
            // From an older term: only its type and sender are looked at (see StepLowerTerm).
            return StepResult.Ok;
        }
        switch (m.Type)
        {
            case MessageType.Append:
                return CheckAppend(m);
            case MessageType.Heartbeat:
                // The leader sends min(match, commit): never more than this node has.
                return m.Commit > Log.LastIndex() ? StepResult.RefusedCommitBeyondLog : StepResult.Ok;
            case MessageType.Snapshot:
                return m.Snapshot is null ? StepResult.Ok : CheckSnapshot(m.Snapshot, m.Term);
            case MessageType.Vote:
            case MessageType.PreVote:
                return m.LogTerm > m.Term ? StepResult.RefusedInconsistentTerms : StepResult.Ok;
            case MessageType.AppendResponse:
                // A leader's own term never truncates its log: an ack beyond it acknowledges nothing it sent.
                // (A response from a later term makes it a follower that ignores the ack.)
                return !m.Reject && State == NodeRole.Leader && m.Term <= Term && m.Index > Log.LastIndex()
                    ? StepResult.RefusedAckBeyondLog
                    : StepResult.Ok;
            case MessageType.HeartbeatResponse:
                return State == NodeRole.Leader && m.Term <= Term && ReadsUseHeartbeats
                    && !_readOnly.IsKnownPosition(m.Context.Span)
                    ? StepResult.RefusedReadAckBeyondQueue
                    : StepResult.Ok;
            case MessageType.Propose:
                return CheckProposal(m.Entries.Span);
            default:
                return (uint)m.Type <= (uint)MessageType.ForgetLeader ? StepResult.Ok : StepResult.RefusedUnknownType;
        }
    }

    /// <summary>
    /// An append's entries must follow its previous entry (Index, LogTerm) one index at a time,
    /// with terms that never decrease and never exceed the message's term, of known types, with
    /// configuration changes that decode. Then a matching append can only replace entries after
    /// the previous index, which is at or above the commit index when it is used: committed
    /// entries are never overwritten.
    /// </summary>
    private static StepResult CheckAppend(in Message m)
    {
        if (m.LogTerm > m.Term)
        {
            return StepResult.RefusedInconsistentTerms;
        }
        ReadOnlySpan<Entry> ents = m.Entries.Span;
        if (m.Index > RaftLimits.MaxIndex - (ulong)ents.Length)
        {
            return StepResult.RefusedIndexTooHigh;
        }
        ulong index = m.Index;
        ulong term = m.LogTerm;
        foreach (ref readonly Entry e in ents)
        {
            index++;
            if (e.Index != index)
            {
                return StepResult.RefusedEntriesNotContiguous;
            }
            if (e.Term < term || e.Term > m.Term)
            {
                return StepResult.RefusedInconsistentTerms;
            }
            if (!IsKnown(e.Type))
            {
                return StepResult.RefusedUnknownType;
            }
            // Decoding allocates, but configuration changes are rare; normal entries cost nothing here.
            if (e.Type != EntryType.Normal && !TryDecodeConfChange(e, out _, out _))
            {
                return StepResult.RefusedMalformedConfChange;
            }
            term = e.Term;
        }
        return StepResult.Ok;
    }

    /// <summary>A forwarded proposal needs entries (the leader asserts it) of known types (the application must decode them).</summary>
    private static StepResult CheckProposal(ReadOnlySpan<Entry> ents)
    {
        if (ents.IsEmpty)
        {
            return StepResult.RefusedEmptyProposal;
        }
        foreach (ref readonly Entry e in ents)
        {
            if (!IsKnown(e.Type))
            {
                return StepResult.RefusedUnknownType;
            }
        }
        return StepResult.Ok;
    }

    /// <summary>
    /// The types a node always stamps with its term when sending (see <see cref="Send"/>); without
    /// one, the node would take the message for its own term (a candidate would even move to
    /// term 0, and answering a vote for term 0 panics).
    /// </summary>
    private static bool NeedsTerm(MessageType t) => t is MessageType.Append or MessageType.AppendResponse
        or MessageType.Vote or MessageType.VoteResponse or MessageType.PreVote or MessageType.PreVoteResponse
        or MessageType.Snapshot or MessageType.Heartbeat or MessageType.HeartbeatResponse
        or MessageType.TimeoutNow or MessageType.ReadIndexResponse;

    /// <summary>
    /// What a node only ever gets from another node. Its own append and vote responses come back
    /// to it (through MsgsAfterAppend), and an application may step proposals, read requests or
    /// a transfer to itself with its own id; none of those is refused.
    /// </summary>
    private static bool OnlyFromPeers(MessageType t) => t is MessageType.Append or MessageType.Heartbeat
        or MessageType.HeartbeatResponse or MessageType.Snapshot or MessageType.Vote or MessageType.PreVote
        or MessageType.TimeoutNow or MessageType.ReadIndexResponse;

    private static bool IsKnown(EntryType t) => (uint)t <= (uint)EntryType.ConfChangeV2;

    /// <summary>
    /// A snapshot must sit within the index bound, come from no later term than its message, and
    /// carry a configuration this node could switch to (what <see cref="Restore"/> would
    /// otherwise panic on). Snapshots the node would ignore (at or below its commit index) are
    /// not restored on the side.
    /// </summary>
    private StepResult CheckSnapshot(Snapshot s, ulong messageTerm)
    {
        SnapshotMetadata? md = s.Metadata;
        if (md?.ConfState is null)
        {
            return StepResult.RefusedInvalidSnapshot;
        }
        if (md.Index > RaftLimits.MaxIndex)
        {
            return StepResult.RefusedIndexTooHigh;
        }
        if (md.Term > messageTerm)
        {
            return StepResult.RefusedInconsistentTerms;
        }
        if (md.Index <= Log.Committed)
        {
            return StepResult.Ok;
        }
        return IsRestorable(md.ConfState, md.Index) ? StepResult.Ok : StepResult.RefusedInvalidSnapshot;
    }

    /// <summary>Restores <paramref name="cs"/> into a scratch tracker and checks the result is the same configuration.</summary>
    private bool IsRestorable(ConfState cs, ulong index)
    {
        if (cs.Voters is null || cs.Learners is null || cs.VotersOutgoing is null || cs.LearnersNext is null)
        {
            return false;
        }
        var scratch = new ProgressTracker(Trk.MaxInflight, Trk.MaxInflightBytes);
        ConfChangeResult restored = ConfChangeRestore.Restore(new Changer(scratch, index), cs);
        if (!restored.Ok)
        {
            _log.Warning($"{Id:x} refusing snapshot [index: {index}]: unable to restore config {ConfChangeLogText.FormatConfState(cs)}: {restored.Error}");
            return false;
        }
        scratch.Config = restored.Config;
        scratch.Progress = restored.Progress;
        if (!cs.Equivalent(scratch.ConfState()))
        {
            _log.Warning($"{Id:x} refusing snapshot [index: {index}]: config {ConfChangeLogText.FormatConfState(cs)} does not restore to itself");
            return false;
        }
        return true;
    }
}
