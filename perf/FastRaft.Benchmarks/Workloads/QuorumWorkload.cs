using FastRaft.Core.Quorum;
using FastRaft.Core.Tracker;

namespace FastRaft.Benchmarks.Workloads;

/// <summary>
/// The leader's quorum math over a real <see cref="ProgressTracker"/>: the committed index (every
/// acknowledgement) and the vote tally (every vote response). With <c>joint</c> the tracker is in
/// the middle of replacing one voter: the outgoing half is voters 1..n-1 plus n+1.
/// </summary>
public sealed class QuorumWorkload
{
    private readonly ProgressTracker _tracker = new(256, 0);
    private readonly Progress[] _voters;
    private ulong _round;

    public QuorumWorkload(int voters, bool joint)
    {
        if (voters < 1)
        {
            BenchCheck.Fail("at least one voter");
        }
        JointConfig config = _tracker.Config.Voters;
        for (ulong id = 1; id <= (ulong)voters; id++)
        {
            config.Incoming.Add(id);
        }
        if (joint)
        {
            for (ulong id = 1; id < (ulong)voters; id++)
            {
                config.Outgoing.Add(id);
            }
            config.Outgoing.Add((ulong)voters + 1);
        }
        ulong[] ids = _tracker.VoterNodes();
        _voters = new Progress[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            _voters[i] = new Progress(new Inflights(_tracker.MaxInflight, _tracker.MaxInflightBytes)) { Next = 1, RecentActive = true };
            _tracker.Progress[ids[i]] = _voters[i];
            // Every other voter grants: an election that is won with a handful of rejections.
            _tracker.RecordVote(ids[i], i % 2 == 0 || i == 1);
        }
    }

    public int VoterCount => _voters.Length;

    /// <summary>One acknowledgement arrives (a voter's match moves) and the committed index is recomputed.</summary>
    public ulong Acknowledge()
    {
        _round++;
        // Voters ack in turn and out of order, so the sort sees changing input.
        Progress pr = _voters[(int)(_round % (ulong)_voters.Length)];
        pr.Match = _round + (_round * 7 % 5);
        return _tracker.Committed();
    }

    /// <summary>The votes received so far are tallied, as on every vote response.</summary>
    internal VoteResult Tally() => _tracker.TallyVotes(out _, out _);
}
