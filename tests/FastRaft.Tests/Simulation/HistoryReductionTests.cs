using FastRaft.Simulation.Linearizability;

namespace FastRaft.Tests.Simulation;

/// <summary>
/// Each rewrite of <see cref="HistoryReduction"/> on its own: what it changes, and what it must
/// leave alone because the change would alter the verdict. (That the verdicts never change is
/// LinearizabilityDifferentialTests' job.)
/// </summary>
public class HistoryReductionTests
{
    private const long Never = KvOperation.Never;

    private static KvOperation Put(ulong v, long call, long ret) => KvOperation.Put(0, 0, v, call, ret);

    private static KvOperation Get(ulong v, long call, long ret) => KvOperation.Get(1, 0, v, call, ret);

    private static KvOperation Cas(ulong expected, ulong v, bool swapped, long call, long ret) => KvOperation.Cas(2, 0, expected, v, swapped, call, ret);

    [Fact]
    public void UnknownReadsAreDropped()
    {
        ReducedHistory r = HistoryReduction.Reduce([Put(5, 1, 2), Get(7, 3, Never), Get(5, 4, 5)]);
        Assert.Equal([0, 2], r.Origin);
    }

    [Fact]
    public void ObservedUnknownWriteIsCompletedAtItsFirstObserversReturn()
    {
        ReducedHistory r = HistoryReduction.Reduce([Put(5, 1, 2), Cas(5, 6, false, 3, Never), Get(6, 8, 9), Get(6, 4, 7)]);
        KvOperation swap = r.Ops[Array.IndexOf(r.Origin, 1)];
        Assert.Equal(7, swap.Return);
        Assert.Equal(1UL, swap.Output);
        // Also observed by a swap from its value.
        r = HistoryReduction.Reduce([Put(9, 3, Never), Cas(9, 4, true, 5, 6), Get(4, 7, 8)]);
        Assert.Equal(6, r.Ops[Array.IndexOf(r.Origin, 0)].Return);
    }

    [Fact]
    public void UnknownWriteIsNotCompletedWhenItsValueHasAnotherSourceOrWasReadTooEarly()
    {
        // Written twice: the read may have seen the other write.
        ReducedHistory r = HistoryReduction.Reduce([Put(9, 1, 2), Put(9, 3, Never), Get(9, 4, 5), Cas(9, 3, false, 6, 7)]);
        Assert.True(r.Ops[Array.IndexOf(r.Origin, 1)].Unknown);
        // The initial value is a source too.
        r = HistoryReduction.Reduce([Put(0, 3, Never), Get(0, 4, 5)]);
        Assert.True(r.Ops[Array.IndexOf(r.Origin, 0)].Unknown);
        // Read before the write began: no completion time (the history is not linearizable).
        r = HistoryReduction.Reduce([Get(9, 1, 2), Put(9, 3, Never)]);
        Assert.True(r.Ops[Array.IndexOf(r.Origin, 1)].Unknown);
    }

    [Fact]
    public void UnknownSwapThatCanNeverHappenIsDropped()
    {
        // Nobody writes 4; a swap of 5 for itself changes nothing.
        ReducedHistory r = HistoryReduction.Reduce([Put(5, 1, 2), Cas(4, 6, false, 3, Never), Cas(5, 5, false, 3, Never), Get(5, 4, 5)]);
        Assert.Equal([0, 3], r.Origin);
        // With a write of 4 about, the swap may have happened (here it did: 6 was read): kept.
        r = HistoryReduction.Reduce([Put(5, 1, 2), Cas(4, 6, false, 3, Never), Put(4, 3, Never), Get(6, 8, 9)]);
        Assert.Contains(1, r.Origin);
    }

    [Fact]
    public void UnreadUnknownWriteIsDroppedOnlyWhenNoFailedSwapCanFollowIt()
    {
        // 7 is read by nobody and no failed swap returns after the write began: dropped.
        ReducedHistory r = HistoryReduction.Reduce([Put(5, 1, 2), Cas(5, 6, false, 3, 4), Put(7, 5, Never), Get(5, 6, 7)]);
        Assert.DoesNotContain(2, r.Origin);
        // A failed swap from 5 after it may need it (5 must have been replaced): kept.
        r = HistoryReduction.Reduce([Put(5, 1, 2), Put(7, 3, Never), Cas(5, 6, false, 4, 5)]);
        Assert.Contains(1, r.Origin);
        // Read by a swap from 7: kept (and completed).
        r = HistoryReduction.Reduce([Put(5, 1, 2), Put(7, 3, Never), Cas(7, 8, true, 4, 5)]);
        Assert.Contains(1, r.Origin);
        // Read only by an unknown swap whose own value nobody reads: both dropped.
        r = HistoryReduction.Reduce([Put(5, 1, 2), Put(7, 3, Never), Cas(7, 8, false, 4, Never), Get(5, 6, 7)]);
        Assert.Equal([0, 3], r.Origin);
    }

    [Fact]
    public void UnreferencedValuesBecomeOnePlaceholderThatNoReadNames()
    {
        ReducedHistory r = HistoryReduction.Reduce(
            [Put(7, 1, 2), Put(8, 3, 4), Get(ulong.MaxValue, 5, 6), Put(ulong.MaxValue, 0, 10), Cas(5, 9, false, 7, 8)]);
        ulong placeholder = r.Ops[0].Value;
        Assert.Equal(placeholder, r.Ops[1].Value);
        Assert.Equal(placeholder, r.Ops[4].Value);
        Assert.NotEqual(ulong.MaxValue, placeholder);
        Assert.NotEqual(5UL, placeholder);
        // Values some operation compares the state with stay as they are.
        Assert.Equal(ulong.MaxValue, r.Ops[3].Value);
        // The initial value is unreferenced here, so it is the placeholder too.
        Assert.Equal(placeholder, r.Initial);
        Assert.Equal(KvModel.Initial, HistoryReduction.Reduce([Put(7, 1, 2), Get(0, 3, 4)]).Initial);
    }
}
