using System.Runtime.CompilerServices;
using FastRaft.Core.Log;
using FastRaft.Protocol;

namespace FastRaft.Core;

// The entry point for every message: term handling, votes, local storage acknowledgements,
// then the role-specific step.
internal sealed partial class Raft
{
    private static ReadOnlySpan<byte> CampaignTransferContext => "CampaignTransfer"u8;

    internal StepResult Step(in Message m)
    {
        if (m.Term == 0 || m.Term == Term)
        {
            // A local message, or one of the current term (the usual case).
        }
        else if (m.Term > Term)
        {
            if (!StepHigherTerm(m))
            {
                return StepResult.Ok;
            }
        }
        else
        {
            StepLowerTerm(m);
            return StepResult.Ok;
        }

        switch (m.Type)
        {
            case MessageType.StorageAppendResponse:
                if (m.Index != 0)
                {
                    Log.StableTo(m.Index, m.LogTerm);
                }
                if (m.Snapshot is not null)
                {
                    AppliedSnap(m.Snapshot);
                }
                break;

            case MessageType.Hup:
            case MessageType.StorageApplyResponse:
            case MessageType.Vote:
            case MessageType.PreVote:
                StepRare(m);
                break;

            default:
                return State switch
                {
                    NodeRole.Leader => StepLeader(m),
                    NodeRole.Candidate or NodeRole.PreCandidate => StepCandidate(m),
                    _ => StepFollower(m),
                };
        }
        return StepResult.Ok;
    }

    // Kept out of Step so that its stack frame (and what the prologue clears) stays small.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void StepRare(in Message m)
    {
        switch (m.Type)
        {
            case MessageType.Hup:
                Hup(_preVote ? CampaignType.PreElection : CampaignType.Election);
                break;

            case MessageType.StorageApplyResponse:
                if (!m.Entries.IsEmpty)
                {
                    ReadOnlySpan<Entry> ents = m.Entries.Span;
                    StorageApplied(ents, EntrySizes.EntsSize(ents));
                }
                break;

            default:
                StepVoteRequest(m);
                break;
        }
    }

    /// <summary>A message of a higher term: moves to it (or not, for leases and pre-votes). False when the message is ignored.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool StepHigherTerm(in Message m)
    {
        if (m.Type is MessageType.Vote or MessageType.PreVote)
        {
            bool force = m.Context.Span.SequenceEqual(CampaignTransferContext);
            bool inLease = _checkQuorum && Lead != LocalIds.None && ElectionElapsed < _electionTimeout;
            if (!force && inLease)
            {
                // Heard from a current leader within the minimum election timeout: neither
                // update the term nor grant the vote.
                (ulong lastIndex, ulong lastTerm) = Log.Tip();
                _log.Info($"{Id:x} [logterm: {lastTerm}, index: {lastIndex}, vote: {Vote:x}] ignored {EtcdTypeText.Of(m.Type)} from {m.From:x} [logterm: {m.LogTerm}, index: {m.Index}] at term {Term}: lease is not expired (remaining ticks: {_electionTimeout - ElectionElapsed})");
                return false;
            }
        }
        if (m.Type == MessageType.PreVote)
        {
            // Never change the term in response to a pre-vote.
        }
        else if (m.Type == MessageType.PreVoteResponse && !m.Reject)
        {
            // Pre-votes are granted for a future term; the term moves once a quorum grants.
        }
        else
        {
            _log.Info($"{Id:x} [term: {Term}] received a {EtcdTypeText.Of(m.Type)} message with higher term from {m.From:x} [term: {m.Term}]");
            if (m.Type is MessageType.Append or MessageType.Heartbeat or MessageType.Snapshot)
            {
                BecomeFollower(m.Term, m.From);
            }
            else
            {
                BecomeFollower(m.Term, LocalIds.None);
            }
        }
        return true;
    }

    /// <summary>
    /// The application applied <paramref name="ents"/> (not empty), whose encoded size is
    /// <paramref name="size"/>: what stepping a MsgStorageApplyResp carrying them does.
    /// </summary>
    internal void StorageApplied(ReadOnlySpan<Entry> ents, ulong size)
    {
        AppliedTo(ents[^1].Index, size);
        ReduceUncommittedSize(EntrySizes.PayloadsSize(ents));
    }

    /// <summary>A message from an older term: mostly ignored, with three useful exceptions.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void StepLowerTerm(in Message m)
    {
        if ((_checkQuorum || _preVote) && m.Type is MessageType.Heartbeat or MessageType.Append)
        {
            // A leader of an older term may be stuck behind a partition that raised our term;
            // with CheckQuorum or PreVote our votes will not free it, so tell it the new term.
            Send(new Message { To = m.From, Type = MessageType.AppendResponse });
        }
        else if (m.Type == MessageType.PreVote)
        {
            // Reject rather than drop, or a higher-term candidate with a shorter log could
            // deadlock a cluster that just enabled pre-vote.
            (ulong lastIndex, ulong lastTerm) = Log.Tip();
            _log.Info($"{Id:x} [logterm: {lastTerm}, index: {lastIndex}, vote: {Vote:x}] rejected {EtcdTypeText.Of(m.Type)} from {m.From:x} [logterm: {m.LogTerm}, index: {m.Index}] at term {Term}");
            Send(new Message { To = m.From, Term = Term, Type = MessageType.PreVoteResponse, Reject = true });
        }
        else if (m.Type == MessageType.StorageAppendResponse)
        {
            if (m.Index != 0)
            {
                // The appended entries may since have been overwritten in a later term.
                _log.Info($"{Id:x} [term: {Term}] ignored entry appends from a {EtcdTypeText.Of(m.Type)} message with lower term [term: {m.Term}]");
            }
            if (m.Snapshot is not null)
            {
                // A snapshot holds committed state, valid whatever the term it was applied in.
                AppliedSnap(m.Snapshot);
            }
        }
        else
        {
            _log.Info($"{Id:x} [term: {Term}] ignored a {EtcdTypeText.Of(m.Type)} message with lower term from {m.From:x} [term: {m.Term}]");
        }
    }

    private void StepVoteRequest(in Message m)
    {
        // We can vote for a repeat of our vote, when we have not voted and know no leader, or
        // for a pre-vote for a future term...
        bool canVote = Vote == m.From
            || (Vote == LocalIds.None && Lead == LocalIds.None)
            || (m.Type == MessageType.PreVote && m.Term > Term);
        (ulong lastIndex, ulong lastTerm) = Log.Tip();
        // ...and only for a candidate whose log is at least as up to date as ours. Learners vote
        // too: a learner may have been promoted without knowing it yet.
        if (canVote && Log.IsUpToDate(m.Index, m.LogTerm))
        {
            _log.Info($"{Id:x} [logterm: {lastTerm}, index: {lastIndex}, vote: {Vote:x}] cast {EtcdTypeText.Of(m.Type)} for {m.From:x} [logterm: {m.LogTerm}, index: {m.Index}] at term {Term}");
            // Answer with the message's term: for a pre-vote it is ahead of ours, and the
            // pre-candidate ignores answers from older terms.
            Send(new Message { To = m.From, Term = m.Term, Type = Message.VoteRespMsgType(m.Type) });
            if (m.Type == MessageType.Vote)
            {
                ElectionElapsed = 0;
                Vote = m.From;
            }
        }
        else
        {
            _log.Info($"{Id:x} [logterm: {lastTerm}, index: {lastIndex}, vote: {Vote:x}] rejected {EtcdTypeText.Of(m.Type)} from {m.From:x} [logterm: {m.LogTerm}, index: {m.Index}] at term {Term}");
            Send(new Message { To = m.From, Term = Term, Type = Message.VoteRespMsgType(m.Type), Reject = true });
        }
    }
}
