using FastRaft.Core.ConfChanges;
using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Tests.ConfChanges;

public class RestoreTests
{
    private static ConfState RoundTrip(ConfState cs)
    {
        var t = new ProgressTracker(20, 0);
        ConfChangeResult r = ConfChangeRestore.Restore(new Changer(t, 10), cs);
        Assert.True(r.Ok, r.Error);
        // The tracker handed in is untouched.
        Assert.Equal("voters=()", t.Config.ToString());
        Assert.Empty(t.Progress);
        t.Config = r.Config;
        t.Progress = r.Progress;
        return t.ConfState();
    }

    private static ConfState Sorted(ConfState cs) => new()
    {
        Voters = [.. cs.Voters.Order()],
        Learners = [.. cs.Learners.Order()],
        VotersOutgoing = [.. cs.VotersOutgoing.Order()],
        LearnersNext = [.. cs.LearnersNext.Order()],
        AutoLeave = cs.AutoLeave,
    };

    public static TheoryData<ConfState> Cases() =>
    [
        new ConfState(),
        new ConfState { Voters = [1, 2, 3] },
        new ConfState { Voters = [1, 2, 3], Learners = [4, 5, 6] },
        new ConfState { Voters = [1, 2, 3], Learners = [5], VotersOutgoing = [1, 2, 4, 6], LearnersNext = [4] },
        new ConfState { Voters = [3, 1], VotersOutgoing = [2], AutoLeave = true },
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void RestoresTheConfState(ConfState cs)
    {
        ConfState got = RoundTrip(cs);
        Assert.Equal(Sorted(cs), got);
        Assert.True(cs.Equivalent(got));
    }

    [Fact]
    public void RestoresRandomValidConfStates()
    {
        var rng = new Random(1234);
        for (int round = 0; round < 500; round++)
        {
            ConfState cs = Generate(rng);
            ConfState got = RoundTrip(cs);
            Assert.Equal(Sorted(cs), got);
        }
    }

    [Fact]
    public void RestoredJointConfigTracksLearnersNextAsVoters()
    {
        var t = new ProgressTracker(20, 0);
        var cs = new ConfState { Voters = [1, 2, 3], Learners = [5], VotersOutgoing = [1, 2, 4, 6], LearnersNext = [4] };
        ConfChangeResult r = ConfChangeRestore.Restore(new Changer(t, 10), cs);
        Assert.True(r.Ok);
        Assert.Equal("voters=(1 2 3)&&(1 2 4 6) learners=(5) learners_next=(4)", r.Config.ToString());
        Assert.False(r.Progress[4].IsLearner);
        Assert.True(r.Progress[5].IsLearner);
        Assert.Equal([1UL, 2, 3, 4, 5, 6], r.Progress.Ids.ToArray());
    }

    [Fact]
    public void InvalidConfStateIsRefused()
    {
        var t = new ProgressTracker(20, 0);
        // Learners only: the first step adds a learner to a config without voters.
        ConfChangeResult r = ConfChangeRestore.Restore(new Changer(t, 10), new ConfState { Learners = [1] });
        Assert.Equal("removed all voters", r.Error);
    }

    /// <summary>A random valid ConfState with disjoint voters, learners and demoted voters (never empty).</summary>
    private static ConfState Generate(Random rng)
    {
        int nVoters = 1 + rng.Next(5);
        int nLearners = rng.Next(5);
        int nRemoved = rng.Next(3);
        ulong[] ids = [.. Enumerable.Range(1, 2 * (nVoters + nLearners + nRemoved)).Select(i => (ulong)i).OrderBy(_ => rng.Next())];

        ulong[] voters = ids[..nVoters];
        ulong[] learners = ids[nVoters..(nVoters + nLearners)];
        ulong[] removed = ids[(nVoters + nLearners)..(nVoters + nLearners + nRemoved)];
        int retained = rng.Next(nVoters + 1);
        ulong[] outgoing = retained > 0 || nRemoved > 0 ? [.. voters[..retained], .. removed] : [];
        ulong[] learnersNext = nRemoved > 0 ? removed[..rng.Next(nRemoved + 1)] : [];
        return new ConfState
        {
            Voters = voters,
            Learners = learners,
            VotersOutgoing = outgoing,
            LearnersNext = learnersNext,
            AutoLeave = outgoing.Length > 0 && rng.Next(2) == 1,
        };
    }
}
