using FastRaft.Core.Quorum;
using FastRaft.Protocol;

namespace FastRaft.Core.Tracker;

/// <summary>
/// The active configuration together with the progress of every voter and learner, and the
/// votes of the current election (etcd's ProgressTracker). As an <see cref="IAckedIndexer"/> it
/// answers each peer's Match, which is what the committed index is computed from.
/// </summary>
internal sealed class ProgressTracker(int maxInflight, ulong maxInflightBytes) : IAckedIndexer
{
    // Reused by QuorumActive so that the check-quorum tick allocates nothing.
    private readonly Dictionary<ulong, bool> _activeScratch = [];

    public TrackerConfig Config { get; set; } = new();

    public ProgressMap Progress { get; set; } = new();

    public Dictionary<ulong, bool> Votes { get; } = [];

    /// <summary>Count limit of each new progress's inflights.</summary>
    public int MaxInflight { get; } = maxInflight;

    /// <summary>Byte limit of each new progress's inflights (0: none).</summary>
    public ulong MaxInflightBytes { get; } = maxInflightBytes;

    /// <summary>The active configuration as persisted in snapshots.</summary>
    public ConfState ConfState() => new()
    {
        Voters = Config.Voters.Incoming.Slice(),
        VotersOutgoing = Config.Voters.Outgoing.Slice(),
        Learners = Config.Learners.Slice(),
        LearnersNext = Config.LearnersNext.Slice(),
        AutoLeave = Config.AutoLeave,
    };

    /// <summary>Whether this is a one-voter, non-joint configuration.</summary>
    public bool IsSingleton() => Config.Voters.Incoming.Count == 1 && Config.Voters.Outgoing.Count == 0;

    public bool AckedIndex(ulong voterId, out ulong index)
    {
        if (Progress.TryGetValue(voterId, out Progress? pr))
        {
            index = pr.Match;
            return true;
        }
        index = 0;
        return false;
    }

    /// <summary>The highest index acknowledged by a quorum of voters.</summary>
    public ulong Committed() => Config.Voters.CommittedIndex(this);

    /// <summary>Whether a quorum of voters has been recently active (learners do not count).</summary>
    public bool QuorumActive()
    {
        _activeScratch.Clear();
        foreach (KeyValuePair<ulong, Progress> kv in Progress)
        {
            if (!kv.Value.IsLearner)
            {
                _activeScratch[kv.Key] = kv.Value.RecentActive;
            }
        }
        return Config.Voters.VoteResult(_activeScratch) == VoteResult.VoteWon;
    }

    /// <summary>The voters of both halves, ascending.</summary>
    public ulong[] VoterNodes() => Config.Voters.Ids();

    /// <summary>The learners, ascending.</summary>
    public ulong[] LearnerNodes() => Config.Learners.Slice();

    /// <summary>Starts a new round of vote counting.</summary>
    public void ResetVotes() => Votes.Clear();

    /// <summary>Records the first vote of <paramref name="id"/> in this round; later ones are ignored.</summary>
    public void RecordVote(ulong id, bool v) => Votes.TryAdd(id, v);

    /// <summary>
    /// The election outcome, with the granted and rejected counts among tracked voters (votes
    /// from peers no longer tracked are left out of the counts).
    /// </summary>
    public VoteResult TallyVotes(out int granted, out int rejected)
    {
        granted = 0;
        rejected = 0;
        foreach (KeyValuePair<ulong, Progress> kv in Progress)
        {
            if (kv.Value.IsLearner || !Votes.TryGetValue(kv.Key, out bool v))
            {
                continue;
            }
            if (v)
            {
                granted++;
            }
            else
            {
                rejected++;
            }
        }
        return Config.Voters.VoteResult(Votes);
    }
}
