using FastRaft.Core.Quorum;
using FastRaft.Protocol;

namespace FastRaft.Core;

/// <summary>Why a node campaigns.</summary>
internal enum CampaignType
{
    /// <summary>The first phase of an election when PreVote is on.</summary>
    PreElection,

    /// <summary>A normal election (or the second phase after a successful pre-vote).</summary>
    Election,

    /// <summary>An election started by a leadership transfer; it bypasses leases and pre-vote.</summary>
    Transfer,
}

// Elections: starting a campaign, counting votes.
internal sealed partial class Raft
{
    private void Hup(CampaignType t)
    {
        if (State == NodeRole.Leader)
        {
            _log.Debug($"{Id:x} ignoring MsgHup because already leader");
            return;
        }
        if (!Promotable())
        {
            _log.Warning($"{Id:x} is unpromotable and can not campaign");
            return;
        }
        if (HasUnappliedConfChanges())
        {
            _log.Warning($"{Id:x} cannot campaign at term {Term} since there are still pending configuration changes to apply");
            return;
        }
        if (AtMaxTerm())
        {
            return;
        }
        _log.Info($"{Id:x} is starting a new election at term {Term}");
        Campaign(t);
    }

    /// <summary>
    /// Whether this node is at <see cref="RaftLimits.MaxTerm"/>, where a campaign would need a
    /// term past the bound: it must not campaign, and stays (or becomes) a follower.
    /// </summary>
    private bool AtMaxTerm()
    {
        if (Term < RaftLimits.MaxTerm)
        {
            return false;
        }
        _log.Error($"{Id:x} cannot campaign at term {Term}: it is the maximum term; staying a follower");
        return true;
    }

    /// <summary>Whether a committed but unapplied entry is a configuration change (scanned in pages).</summary>
    private bool HasUnappliedConfChanges()
    {
        if (Log.Applied >= Log.Committed)
        {
            return false;
        }
        ulong lo = Log.Applied + 1, hi = Log.Committed + 1;
        while (lo < hi)
        {
            _scratch.Clear();
            if (Log.Slice(lo, hi, Log.MaxApplyingEntsSize, _scratch) != Storage.StorageStatus.Ok)
            {
                _log.Panic($"error scanning unapplied entries [{lo}, {hi})");
            }
            foreach (ref readonly Entry e in _scratch.Span)
            {
                if (e.Type is EntryType.ConfChange or EntryType.ConfChangeV2)
                {
                    return true;
                }
            }
            lo += (ulong)_scratch.Count;
        }
        return false;
    }

    /// <summary>Becomes (pre-)candidate and asks every voter for its vote. Callers check promotability.</summary>
    private void Campaign(CampaignType t)
    {
        if (!Promotable())
        {
            _log.Warning($"{Id:x} is unpromotable; campaign() should have been called");
        }
        if (AtMaxTerm())
        {
            // Not reachable through Hup; a pre-candidate that won would need the next term.
            BecomeFollower(Term, LocalIds.None);
            return;
        }
        ulong term;
        MessageType voteMsg;
        if (t == CampaignType.PreElection)
        {
            BecomePreCandidate();
            voteMsg = MessageType.PreVote;
            // Pre-votes ask for the next term without moving to it.
            term = Term + 1;
        }
        else
        {
            BecomeCandidate();
            voteMsg = MessageType.Vote;
            term = Term;
        }

        foreach (ulong id in Trk.Config.Voters.Ids())
        {
            if (id == Id)
            {
                // Our own vote counts once it is durable: it comes back through MsgsAfterAppend.
                Send(new Message { To = id, Term = term, Type = Message.VoteRespMsgType(voteMsg) });
                continue;
            }
            (ulong lastIndex, ulong lastTerm) = Log.Tip();
            _log.Info($"{Id:x} [logterm: {lastTerm}, index: {lastIndex}] sent {EtcdTypeText.Of(voteMsg)} request to {id:x} at term {Term}");
            ReadOnlyMemory<byte> ctx = t == CampaignType.Transfer ? Arena.CopyBytes(CampaignTransferContext) : ReadOnlyMemory<byte>.Empty;
            Send(new Message { To = id, Term = term, Type = voteMsg, Index = lastIndex, LogTerm = lastTerm, Context = ctx });
        }
    }

    private VoteResult Poll(ulong id, MessageType t, bool granted, out int grantedCount, out int rejectedCount)
    {
        if (granted)
        {
            _log.Info($"{Id:x} received {EtcdTypeText.Of(t)} from {id:x} at term {Term}");
        }
        else
        {
            _log.Info($"{Id:x} received {EtcdTypeText.Of(t)} rejection from {id:x} at term {Term}");
        }
        Trk.RecordVote(id, granted);
        return Trk.TallyVotes(out grantedCount, out rejectedCount);
    }
}
