using FastRaft.Core.ConfChanges;
using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Tests.ConfChanges;

public class ChangerTests
{
    private static ConfChangeSingle[] Ccs(string text) => ConfChangeText.Parse(text);

    /// <summary>Applies a simple change and installs it; fails the test on error.</summary>
    private static void Install(ProgressTracker t, ConfChangeResult r)
    {
        Assert.True(r.Ok, r.Error);
        t.Config = r.Config;
        t.Progress = r.Progress;
    }

    private static ProgressTracker Voters(string text, ulong lastIndex = 0)
    {
        var t = new ProgressTracker(10, 0);
        foreach (ConfChangeSingle cc in Ccs(text))
        {
            Install(t, new Changer(t, lastIndex).Simple([cc]));
        }
        return t;
    }

    private static string Describe(ProgressTracker t) => $"{t.Config}\n{t.Progress}";

    [Fact]
    public void NeverMutatesTheTrackerItIsGiven()
    {
        ProgressTracker t = Voters("v1 v2 v3");
        t.Progress[2].BecomeReplicate();
        t.Progress[2].SentEntries(1, 10);
        string before = Describe(t);
        var chg = new Changer(t, 5);

        Assert.True(chg.Simple(Ccs("v4")).Ok);
        Assert.True(chg.Simple(Ccs("l3")).Ok);
        Assert.False(chg.Simple(Ccs("v4 v5")).Ok);
        ConfChangeResult joint = chg.EnterJoint(true, Ccs("r1 r2 v4 v5 l3"));
        Assert.True(joint.Ok);
        Assert.False(chg.LeaveJoint().Ok);

        Assert.Equal(before, Describe(t));
        Assert.Equal(1, t.Progress[2].Inflights.Count);
        // The result is a copy: changing it leaves the tracker alone.
        joint.Progress![3].Match = 99;
        Assert.Equal(0UL, t.Progress[3].Match);
    }

    [Fact]
    public void NewPeersProbeFromTheLastIndexAndStartActive()
    {
        var t = new ProgressTracker(7, 1000);
        ConfChangeResult r = new Changer(t, 0).Simple(Ccs("v1"));
        Assert.True(r.Ok);
        Assert.Equal(1UL, r.Progress[1].Next); // never below 1
        Install(t, r);
        r = new Changer(t, 42).Simple(Ccs("l2"));
        Progress pr = r.Progress![2];
        Assert.Equal(0UL, pr.Match);
        Assert.Equal(42UL, pr.Next);
        Assert.True(pr.RecentActive);
        Assert.True(pr.IsLearner);
        Assert.Equal(ProgressState.Probe, pr.State);
        Assert.Equal(7, pr.Inflights.Size);
        Assert.Equal(1000UL, pr.Inflights.MaxBytes);
    }

    [Theory]
    [InlineData("l1", "removed all voters")]
    [InlineData("r1", "removed all voters")]
    [InlineData("v2 v3", "more than one voter changed without entering joint config")]
    [InlineData("r1 v2", "more than one voter changed without entering joint config")]
    public void SimpleRefusals(string changes, string error)
    {
        ProgressTracker t = Voters("v1");
        ConfChangeResult r = new Changer(t, 1).Simple(Ccs(changes));
        Assert.False(r.Ok);
        Assert.Equal(error, r.Error);
        Assert.Null(r.Config);
        Assert.Null(r.Progress);
    }

    [Fact]
    public void SimpleAllowsAnyNumberOfLearnerChangesWithOneVoterChange()
    {
        ProgressTracker t = Voters("v1 v2");
        ConfChangeResult r = new Changer(t, 3).Simple(Ccs("l3 l4 l5 r2 u1 v0"));
        Assert.True(r.Ok, r.Error);
        Assert.Equal("voters=(1) learners=(3 4 5)", r.Config.ToString());
        Assert.False(r.Progress.ContainsKey(2));
    }

    [Fact]
    public void UnknownChangeTypeIsRefused()
    {
        ProgressTracker t = Voters("v1");
        ConfChangeResult r = new Changer(t, 1).Simple([new ConfChangeSingle((ConfChangeType)9, 2)]);
        Assert.Equal("unexpected conf type 9", r.Error);
    }

    [Fact]
    public void JointRefusals()
    {
        var empty = new ProgressTracker(10, 0);
        Assert.Equal("can't make a zero-voter config joint", new Changer(empty, 0).EnterJoint(false, Ccs("v1")).Error);
        Assert.Equal("can't leave a non-joint config", new Changer(empty, 0).LeaveJoint().Error);

        ProgressTracker t = Voters("v1 v2");
        Assert.Equal("removed all voters", new Changer(t, 1).EnterJoint(false, Ccs("r1 r2")).Error);
        Install(t, new Changer(t, 1).EnterJoint(false, Ccs("v3")));
        Assert.Equal("config is already joint", new Changer(t, 1).EnterJoint(false, Ccs("v4")).Error);
        Assert.Equal("can't apply simple config change in joint config", new Changer(t, 1).Simple(Ccs("v4")).Error);
    }

    [Fact]
    public void DemotionThroughJointStagesTheLearnerAndKeepsItsProgress()
    {
        ProgressTracker t = Voters("v1 v2 v3");
        t.Progress[3].Match = 17;
        t.Progress[3].Next = 18;

        Install(t, new Changer(t, 20).EnterJoint(false, Ccs("l3 v4 r2")));
        Assert.Equal("voters=(1 4)&&(1 2 3) learners_next=(3)", t.Config.ToString());
        Assert.False(t.Progress[3].IsLearner); // still a voter of the outgoing half
        Assert.True(t.Progress.ContainsKey(2)); // removed, but still an outgoing voter
        Assert.Equal(20UL, t.Progress[4].Next);

        Install(t, new Changer(t, 21).LeaveJoint());
        Assert.Equal("voters=(1 4) learners=(3)", t.Config.ToString());
        Assert.True(t.Progress[3].IsLearner);
        Assert.Equal(17UL, t.Progress[3].Match);
        Assert.Equal(18UL, t.Progress[3].Next);
        Assert.False(t.Progress.ContainsKey(2));
        Assert.False(t.Config.AutoLeave);
    }

    [Fact]
    public void AutoLeaveIsCarriedWhileJoint()
    {
        ProgressTracker t = Voters("v1");
        ConfChangeResult r = new Changer(t, 1).EnterJoint(true, Ccs("v2 v3"));
        Assert.True(r.Ok);
        Assert.True(r.Config.AutoLeave);
        Assert.Equal("voters=(1 2 3)&&(1) autoleave", r.Config.ToString());
        Install(t, r);
        Assert.False(new Changer(t, 2).LeaveJoint().Config!.AutoLeave);
    }

    [Fact]
    public void InconsistentTrackerIsReported()
    {
        var t = new ProgressTracker(10, 0);
        t.Config.Voters.Incoming.Add(1);
        t.Config.Voters.Incoming.Add(2);
        t.Progress[1] = new Progress(new Inflights(10, 0)) { Next = 1 };
        Assert.Equal("no progress for 2", new Changer(t, 1).Simple(Ccs("v3")).Error);

        t.Progress[2] = new Progress(new Inflights(10, 0)) { Next = 1 };
        t.Config.Learners.Add(3);
        t.Progress[3] = new Progress(new Inflights(10, 0)) { Next = 1 };
        Assert.Equal("3 is in Learners, but is not marked as learner", new Changer(t, 1).Simple(Ccs("v4")).Error);

        t.Progress[3].IsLearner = true;
        t.Config.Learners.Add(2);
        t.Progress[2].IsLearner = true;
        Assert.Equal("2 is in Learners and Voters.Incomming", new Changer(t, 1).Simple(Ccs("v4")).Error);

        t.Config.Learners.Remove(2);
        t.Progress[2].IsLearner = false;
        t.Config.LearnersNext.Add(1);
        Assert.Equal("1 is in LearnersNext, but not Voters.Outgoing", new Changer(t, 1).Simple(Ccs("v4")).Error);

        t.Config.LearnersNext.Clear();
        t.Config.AutoLeave = true;
        Assert.Equal("AutoLeave must be false when not joint", new Changer(t, 1).Simple(Ccs("v4")).Error);
    }
}
