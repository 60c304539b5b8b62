using FastRaft.Core.Logging;
using FastRaft.Core.Tracker;

namespace FastRaft.Tests.Tracker;

public class ProgressTests
{
    private static Progress New(ProgressState state, ulong match, ulong next, int maxInflight = 256) =>
        new(new Inflights(maxInflight, 0)) { State = state, Match = match, Next = next, RecentActive = true };

    [Fact]
    public void StringHasEtcdsFieldsInEtcdsOrder()
    {
        var ins = new Inflights(1, 0);
        ins.Add(123, 1);
        var pr = new Progress(ins)
        {
            Match = 2,
            Next = 3,
            State = ProgressState.Snapshot,
            PendingSnapshot = 123,
            RecentActive = false,
            MsgAppFlowPaused = true,
            IsLearner = true,
        };
        Assert.Equal("StateSnapshot match=2 next=3 learner paused pendingSnap=123 inactive inflight=1[full]", pr.ToString());
    }

    [Fact]
    public void StringOfCommonStates()
    {
        Progress probe = New(ProgressState.Probe, 0, 1);
        Assert.Equal("StateProbe match=0 next=1", probe.ToString());

        Progress repl = New(ProgressState.Replicate, 11, 12, maxInflight: 3);
        for (int i = 0; i < 3; i++)
        {
            repl.SentEntries(1, 10);
        }
        repl.Match = 14;
        Assert.Equal("StateReplicate match=14 next=15 paused inflight=3[full]", repl.ToString());

        Progress snap = New(ProgressState.Probe, 0, 5);
        snap.BecomeSnapshot(11);
        Assert.Equal("StateSnapshot match=0 next=12 paused pendingSnap=11", snap.ToString());
    }

    [Theory]
    [InlineData(ProgressState.Probe, false, false)]
    [InlineData(ProgressState.Probe, true, true)]
    [InlineData(ProgressState.Replicate, false, false)]
    [InlineData(ProgressState.Replicate, true, true)]
    [InlineData(ProgressState.Snapshot, false, true)]
    [InlineData(ProgressState.Snapshot, true, true)]
    public void IsPaused(ProgressState state, bool flowPaused, bool expected)
    {
        Progress pr = New(state, 0, 1);
        pr.MsgAppFlowPaused = flowPaused;
        Assert.Equal(expected, pr.IsPaused());
    }

    [Fact]
    public void IsPausedPanicsOnAnUnknownState()
    {
        Progress pr = New((ProgressState)7, 0, 1);
        Assert.Equal("unexpected state", Assert.Throws<RaftPanicException>(() => pr.IsPaused()).Message);
    }

    [Fact]
    public void UpdateAndDecrResumeTheFlow()
    {
        Progress pr = New(ProgressState.Probe, 0, 2);
        pr.MsgAppFlowPaused = true;
        Assert.True(pr.TryDecreaseTo(1, 1));
        Assert.False(pr.MsgAppFlowPaused);
        pr.MsgAppFlowPaused = true;
        Assert.True(pr.TryUpdate(2));
        Assert.False(pr.MsgAppFlowPaused);
    }

    [Theory]
    [InlineData(ProgressState.Replicate, 0UL, 2UL)]
    [InlineData(ProgressState.Snapshot, 10UL, 11UL)] // snapshot delivered: continue after it
    [InlineData(ProgressState.Snapshot, 0UL, 2UL)] // snapshot failed
    [InlineData(ProgressState.Probe, 0UL, 2UL)]
    public void BecomeProbe(ProgressState from, ulong pendingSnapshot, ulong expectedNext)
    {
        Progress pr = New(from, 1, 5);
        pr.PendingSnapshot = pendingSnapshot;
        pr.MsgAppFlowPaused = true;
        pr.Inflights.Add(3, 1);
        pr.BecomeProbe();
        Assert.Equal(ProgressState.Probe, pr.State);
        Assert.Equal(1UL, pr.Match);
        Assert.Equal(expectedNext, pr.Next);
        Assert.Equal(0UL, pr.PendingSnapshot);
        Assert.False(pr.MsgAppFlowPaused);
        Assert.Equal(0, pr.Inflights.Count);
    }

    [Fact]
    public void BecomeProbeRegressesSentCommit()
    {
        Progress pr = New(ProgressState.Replicate, 3, 10);
        pr.SentCommitTo(9);
        pr.BecomeProbe();
        Assert.Equal(4UL, pr.Next);
        Assert.Equal(3UL, pr.SentCommit);
    }

    [Fact]
    public void BecomeReplicate()
    {
        Progress pr = New(ProgressState.Probe, 1, 5);
        pr.MsgAppFlowPaused = true;
        pr.BecomeReplicate();
        Assert.Equal(ProgressState.Replicate, pr.State);
        Assert.Equal(1UL, pr.Match);
        Assert.Equal(2UL, pr.Next);
        Assert.False(pr.MsgAppFlowPaused);
    }

    [Fact]
    public void BecomeSnapshot()
    {
        Progress pr = New(ProgressState.Replicate, 1, 5);
        pr.Inflights.Add(4, 1);
        pr.BecomeSnapshot(10);
        Assert.Equal(ProgressState.Snapshot, pr.State);
        Assert.Equal(1UL, pr.Match);
        Assert.Equal(10UL, pr.PendingSnapshot);
        Assert.Equal(11UL, pr.Next);
        Assert.Equal(10UL, pr.SentCommit);
        Assert.Equal(0, pr.Inflights.Count);
        Assert.True(pr.IsPaused());
    }

    [Theory]
    [InlineData(2UL, false, 3UL, 5UL)] // never lower match or next
    [InlineData(3UL, false, 3UL, 5UL)]
    [InlineData(4UL, true, 4UL, 5UL)] // raise match, keep next
    [InlineData(5UL, true, 5UL, 6UL)] // raise both
    public void TryUpdate(ulong update, bool ok, ulong match, ulong next)
    {
        Progress pr = New(ProgressState.Probe, 3, 5);
        Assert.Equal(ok, pr.TryUpdate(update));
        Assert.Equal(match, pr.Match);
        Assert.Equal(next, pr.Next);
    }

    [Theory]
    [InlineData(ProgressState.Replicate, 5UL, 10UL, 5UL, 5UL, false, 10UL)] // rejected <= match: stale
    [InlineData(ProgressState.Replicate, 5UL, 10UL, 4UL, 4UL, false, 10UL)]
    [InlineData(ProgressState.Replicate, 5UL, 10UL, 9UL, 9UL, true, 6UL)] // straight to match+1
    [InlineData(ProgressState.Probe, 0UL, 0UL, 0UL, 0UL, false, 0UL)] // next-1 != rejected: stale
    [InlineData(ProgressState.Probe, 0UL, 10UL, 5UL, 5UL, false, 10UL)]
    [InlineData(ProgressState.Probe, 0UL, 10UL, 9UL, 9UL, true, 9UL)]
    [InlineData(ProgressState.Probe, 0UL, 2UL, 1UL, 1UL, true, 1UL)]
    [InlineData(ProgressState.Probe, 0UL, 1UL, 0UL, 0UL, true, 1UL)] // never below match+1
    [InlineData(ProgressState.Probe, 0UL, 10UL, 9UL, 2UL, true, 3UL)] // min(rejected, hint+1)
    [InlineData(ProgressState.Probe, 0UL, 10UL, 9UL, 0UL, true, 1UL)]
    public void TryDecreaseTo(ProgressState state, ulong match, ulong next, ulong rejected, ulong hint, bool ok, ulong wantNext)
    {
        Progress pr = New(state, match, next);
        Assert.Equal(ok, pr.TryDecreaseTo(rejected, hint));
        Assert.Equal(match, pr.Match);
        Assert.Equal(wantNext, pr.Next);
    }

    [Fact]
    public void TryDecreaseToRegressesSentCommit()
    {
        Progress pr = New(ProgressState.Probe, 0, 10);
        pr.SentCommitTo(8);
        Assert.True(pr.TryDecreaseTo(9, 2));
        Assert.Equal(2UL, pr.SentCommit);
    }

    [Fact]
    public void SentEntriesInReplicateAdvancesNextAndFillsTheWindow()
    {
        Progress pr = New(ProgressState.Replicate, 4, 5, maxInflight: 2);
        pr.SentEntries(3, 30);
        Assert.Equal(8UL, pr.Next);
        Assert.Equal(1, pr.Inflights.Count);
        Assert.False(pr.MsgAppFlowPaused);
        pr.SentEntries(0, 0); // empty append: nothing in flight, window still open
        Assert.Equal(8UL, pr.Next);
        Assert.False(pr.MsgAppFlowPaused);
        pr.SentEntries(1, 10);
        Assert.Equal(9UL, pr.Next);
        Assert.True(pr.MsgAppFlowPaused);
        Assert.True(pr.IsPaused());
        // An ack frees the window and unpauses.
        pr.TryUpdate(8);
        pr.Inflights.FreeLE(8);
        Assert.False(pr.IsPaused());
    }

    [Fact]
    public void SentEntriesInProbePausesOnlyForNonEmptyAppends()
    {
        Progress pr = New(ProgressState.Probe, 0, 5);
        pr.SentEntries(0, 0);
        Assert.False(pr.MsgAppFlowPaused);
        Assert.Equal(5UL, pr.Next);
        pr.SentEntries(2, 20);
        Assert.True(pr.MsgAppFlowPaused);
        Assert.Equal(5UL, pr.Next); // probes do not move Next
        Assert.Equal(0, pr.Inflights.Count);
    }

    [Fact]
    public void SentEntriesInSnapshotPanics()
    {
        Progress pr = New(ProgressState.Snapshot, 0, 5);
        RaftPanicException e = Assert.Throws<RaftPanicException>(() => pr.SentEntries(1, 1));
        Assert.Equal("sending append in unhandled state StateSnapshot", e.Message);
    }

    [Fact]
    public void CanBumpCommit()
    {
        Progress pr = New(ProgressState.Replicate, 0, 11);
        Assert.True(pr.CanBumpCommit(5));
        pr.SentCommitTo(5);
        Assert.False(pr.CanBumpCommit(5)); // not newer than what was sent
        Assert.True(pr.CanBumpCommit(6));
        pr.SentCommitTo(10); // covers Next-1 already
        Assert.False(pr.CanBumpCommit(12));
        pr.Next = 13;
        Assert.True(pr.CanBumpCommit(12));
    }

    [Fact]
    public void CloneIsDeep()
    {
        Progress pr = New(ProgressState.Replicate, 3, 4);
        pr.SentCommitTo(2);
        pr.IsLearner = true;
        pr.SentEntries(1, 5);
        Progress clone = pr.Clone();
        pr.Inflights.FreeLE(10);
        pr.Match = 9;
        Assert.Equal(1, clone.Inflights.Count);
        Assert.Equal(3UL, clone.Match);
        Assert.Equal(5UL, clone.Next);
        Assert.Equal(2UL, clone.SentCommit);
        Assert.True(clone.IsLearner);
        Assert.True(clone.RecentActive);
        Assert.Equal(ProgressState.Replicate, clone.State);
        Assert.NotSame(pr.Inflights, clone.Inflights);
    }
}
