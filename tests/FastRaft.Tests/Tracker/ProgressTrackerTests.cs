using FastRaft.Core.Quorum;
using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Tests.Tracker;

public class ProgressTrackerTests
{
    /// <summary>A tracker with the given voters (and optional outgoing voters and learners), all probing from 1.</summary>
    private static ProgressTracker Make(ulong[] voters, ulong[]? outgoing = null, ulong[]? learners = null)
    {
        var t = new ProgressTracker(16, 0);
        foreach (ulong id in voters)
        {
            t.Config.Voters.Incoming.Add(id);
        }
        foreach (ulong id in outgoing ?? [])
        {
            t.Config.Voters.Outgoing.Add(id);
        }
        foreach (ulong id in learners ?? [])
        {
            t.Config.Learners.Add(id);
        }
        foreach (ulong id in t.VoterNodes().Concat(learners ?? []))
        {
            t.Progress[id] = new Progress(new Inflights(t.MaxInflight, t.MaxInflightBytes))
            {
                Next = 1,
                RecentActive = true,
                IsLearner = learners?.Contains(id) ?? false,
            };
        }
        return t;
    }

    [Fact]
    public void CommittedFollowsMatchOfVotersOnly()
    {
        ProgressTracker t = Make([1, 2, 3], learners: [4]);
        t.Progress[1].Match = 10;
        t.Progress[2].Match = 7;
        t.Progress[3].Match = 2;
        t.Progress[4].Match = 100;
        Assert.Equal(7UL, t.Committed());
        Assert.True(t.AckedIndex(4, out ulong learnerMatch));
        Assert.Equal(100UL, learnerMatch);
        Assert.False(t.AckedIndex(5, out _));
    }

    [Fact]
    public void CommittedInJointConfigNeedsBothHalves()
    {
        ProgressTracker t = Make([1, 2, 3], outgoing: [3, 4, 5]);
        t.Progress[1].Match = 10;
        t.Progress[2].Match = 10;
        t.Progress[3].Match = 4;
        t.Progress[4].Match = 6;
        t.Progress[5].Match = 1;
        Assert.Equal(4UL, t.Committed());
    }

    [Fact]
    public void CommittedAllocatesNothing()
    {
        ProgressTracker t = Make([1, 2, 3, 4, 5]);
        ulong sink = t.Committed();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            t.Progress[(ulong)(i % 5) + 1].Match = (ulong)i;
            sink += t.Committed();
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(sink > 0);
    }

    [Fact]
    public void QuorumActiveCountsRecentlyActiveVoters()
    {
        ProgressTracker t = Make([1, 2, 3], learners: [4, 5]);
        t.Progress[2].RecentActive = false;
        Assert.True(t.QuorumActive());
        t.Progress[3].RecentActive = false;
        Assert.False(t.QuorumActive());
        // Active learners do not make a quorum.
        Assert.True(t.Progress[4].RecentActive && t.Progress[5].RecentActive);
        Assert.False(t.QuorumActive());
        t.Progress[2].RecentActive = true;
        Assert.True(t.QuorumActive());
    }

    [Fact]
    public void QuorumActiveInJointConfig()
    {
        ProgressTracker t = Make([1, 2, 3], outgoing: [4, 5, 6]);
        foreach (ulong id in new ulong[] { 4, 5 })
        {
            t.Progress[id].RecentActive = false;
        }
        Assert.False(t.QuorumActive()); // outgoing half has only 6 active
        t.Progress[5].RecentActive = true;
        Assert.True(t.QuorumActive());
    }

    [Fact]
    public void TallyVotes()
    {
        ProgressTracker t = Make([1, 2, 3, 4, 5], learners: [6]);
        Assert.Equal(VoteResult.VotePending, t.TallyVotes(out int granted, out int rejected));
        Assert.Equal((0, 0), (granted, rejected));

        t.RecordVote(1, true);
        t.RecordVote(2, false);
        t.RecordVote(2, true); // only the first vote of a peer counts
        t.RecordVote(6, true); // a learner's vote counts for nothing
        t.RecordVote(9, true); // neither does an untracked peer's
        Assert.Equal(VoteResult.VotePending, t.TallyVotes(out granted, out rejected));
        Assert.Equal((1, 1), (granted, rejected));

        t.RecordVote(3, true);
        t.RecordVote(4, true);
        Assert.Equal(VoteResult.VoteWon, t.TallyVotes(out granted, out rejected));
        Assert.Equal((3, 1), (granted, rejected));

        t.ResetVotes();
        Assert.Empty(t.Votes);
        t.RecordVote(1, false);
        t.RecordVote(2, false);
        t.RecordVote(3, false);
        Assert.Equal(VoteResult.VoteLost, t.TallyVotes(out granted, out rejected));
        Assert.Equal((0, 3), (granted, rejected));
    }

    [Fact]
    public void ConfStateAndNodeLists()
    {
        ProgressTracker t = Make([3, 1, 2], outgoing: [1, 4], learners: [7, 6]);
        t.Config.LearnersNext.Add(4);
        t.Config.AutoLeave = true;
        ConfState cs = t.ConfState();
        Assert.Equal([1UL, 2, 3], cs.Voters);
        Assert.Equal([1UL, 4], cs.VotersOutgoing);
        Assert.Equal([6UL, 7], cs.Learners);
        Assert.Equal([4UL], cs.LearnersNext);
        Assert.True(cs.AutoLeave);
        Assert.Equal([1UL, 2, 3, 4], t.VoterNodes());
        Assert.Equal([6UL, 7], t.LearnerNodes());
        Assert.Equal("voters=(1 2 3)&&(1 4) learners=(6 7) learners_next=(4) autoleave", t.Config.ToString());
    }

    [Fact]
    public void EmptyTracker()
    {
        var t = new ProgressTracker(5, 100);
        Assert.Equal(5, t.MaxInflight);
        Assert.Equal(100UL, t.MaxInflightBytes);
        Assert.True(t.ConfState().IsEmpty);
        Assert.Empty(t.VoterNodes());
        Assert.Empty(t.LearnerNodes());
        Assert.False(t.IsSingleton());
        Assert.Equal("voters=()", t.Config.ToString());
        // The empty config commits "everything" and wins every vote, as in etcd.
        Assert.Equal(ulong.MaxValue, t.Committed());
        Assert.Equal(VoteResult.VoteWon, t.TallyVotes(out _, out _));
    }

    [Fact]
    public void IsSingleton()
    {
        Assert.True(Make([1]).IsSingleton());
        Assert.True(Make([1], learners: [2]).IsSingleton());
        Assert.False(Make([1, 2]).IsSingleton());
        Assert.False(Make([1], outgoing: [2]).IsSingleton());
    }

    [Fact]
    public void ConfigCloneSharesNothing()
    {
        ProgressTracker t = Make([1, 2], outgoing: [1], learners: [3]);
        t.Config.AutoLeave = true;
        TrackerConfig clone = t.Config.Clone();
        t.Config.Voters.Incoming.Remove(2);
        t.Config.Voters.Outgoing.Clear();
        t.Config.Learners.Clear();
        t.Config.AutoLeave = false;
        Assert.Equal("voters=(1 2)&&(1) learners=(3) autoleave", clone.ToString());
        Assert.Equal("voters=(1)", t.Config.ToString());
    }
}
