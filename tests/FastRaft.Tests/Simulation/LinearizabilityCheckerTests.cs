using FastRaft.Simulation.Linearizability;

namespace FastRaft.Tests.Simulation;

public class LinearizabilityCheckerTests
{
    private const long Never = KvOperation.Never;

    private static LinearizabilityVerdict Check(params KvOperation[] ops) => LinearizabilityChecker.Check(ops).Verdict;

    private static KvOperation Put(int client, ulong v, long call, long ret, int key = 0) => KvOperation.Put(client, key, v, call, ret);

    private static KvOperation Get(int client, ulong v, long call, long ret, int key = 0) => KvOperation.Get(client, key, v, call, ret);

    private static KvOperation Cas(int client, ulong expected, ulong v, bool swapped, long call, long ret, int key = 0) =>
        KvOperation.Cas(client, key, expected, v, swapped, call, ret);

    [Fact]
    public void EmptyHistoryIsLinearizable() => Assert.Equal(LinearizabilityVerdict.Linearizable, Check());

    [Fact]
    public void SequentialPutThenGetOfItsValueIsLinearizable() =>
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(Put(0, 5, 1, 2), Get(1, 5, 3, 4)));

    [Fact]
    public void ReadOfTheInitialValueBeforeAnyWriteIsLinearizable() =>
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(Get(1, 0, 1, 2), Put(0, 5, 3, 4)));

    [Fact]
    public void StaleReadAfterACompletedWriteIsRejected() =>
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(Put(0, 5, 1, 2), Put(0, 6, 3, 4), Get(1, 5, 5, 6)));

    [Fact]
    public void ReadOfAValueNeverWrittenIsRejected() =>
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(Put(0, 5, 1, 2), Get(1, 7, 3, 4)));

    [Theory]
    [InlineData(5UL)]
    [InlineData(6UL)]
    public void ReadConcurrentWithAWriteMaySeeEitherValue(ulong seen) =>
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(Put(0, 5, 1, 2), Put(0, 6, 3, 10), Get(1, seen, 4, 8)));

    [Fact]
    public void ReadsConcurrentWithAWriteMustNotGoBackInTime()
    {
        // The first read sees the new value and finishes; a later read still sees the old one.
        Assert.Equal(LinearizabilityVerdict.NotLinearizable,
            Check(Put(0, 5, 1, 2), Put(0, 6, 3, 20), Get(1, 6, 4, 6), Get(2, 5, 7, 9)));
    }

    [Fact]
    public void OverlappingWritesMayTakeEffectInEitherOrderButReadsMustAgree()
    {
        KvOperation a = Put(0, 1, 1, 10), b = Put(1, 2, 2, 11), c = Put(2, 3, 3, 12);
        // Reads after all writes agree on a last writer (any one of them).
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(a, b, c, Get(3, 2, 13, 14), Get(4, 2, 15, 16)));
        // Reads during the writes may observe an order; later reads must not contradict it.
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(a, b, c, Get(3, 3, 4, 5), Get(4, 1, 6, 7), Get(5, 2, 13, 14)));
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(a, b, c, Get(3, 3, 13, 14), Get(4, 2, 15, 16)));
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(a, b, c, Get(3, 1, 4, 5), Get(4, 2, 6, 7), Get(5, 1, 8, 9), Get(6, 2, 13, 14)));
    }

    [Fact]
    public void TouchingIntervalsCountAsConcurrent() =>
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(Put(0, 5, 1, 3), Get(1, 0, 3, 4)));

    [Fact]
    public void CompareAndSetSucceedsOnlyOnTheExpectedValue()
    {
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(Put(0, 5, 1, 2), Cas(1, 5, 6, true, 3, 4), Get(2, 6, 5, 6)));
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(Put(0, 5, 1, 2), Cas(1, 4, 6, false, 3, 4), Get(2, 5, 5, 6)));
        // A swap reported on the wrong value, or a failure on the right one, is impossible.
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(Put(0, 5, 1, 2), Cas(1, 4, 6, true, 3, 4)));
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(Put(0, 5, 1, 2), Cas(1, 5, 6, false, 3, 4)));
        // A failed swap changes nothing.
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(Put(0, 5, 1, 2), Cas(1, 4, 6, false, 3, 4), Get(2, 6, 5, 6)));
    }

    [Fact]
    public void TwoConcurrentCompareAndSetsOnTheSameValueCannotBothSucceed()
    {
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(Put(0, 5, 1, 2), Cas(1, 5, 6, true, 3, 10), Cas(2, 5, 7, false, 4, 9)));
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(Put(0, 5, 1, 2), Cas(1, 5, 6, true, 3, 10), Cas(2, 5, 7, true, 4, 9)));
    }

    [Fact]
    public void ConcurrentCompareAndSetOrderIsDecidedByLaterReads()
    {
        // Both succeed only in the order 5 -> 6 -> 7, so the final value must be 7.
        KvOperation p = Put(0, 5, 1, 2), x = Cas(1, 5, 6, true, 3, 10), y = Cas(2, 6, 7, true, 4, 11);
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(p, x, y, Get(3, 7, 12, 13)));
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(p, x, y, Get(3, 6, 12, 13)));
    }

    [Fact]
    public void UnknownWriteMayHaveTakenEffectOrNot()
    {
        KvOperation unknown = Put(0, 9, 1, Never);
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(unknown, Get(1, 9, 5, 6)));
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(unknown, Get(1, 0, 5, 6)));
        // It may take effect long after its client gave up, between two later reads.
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(unknown, Get(1, 0, 5, 6), Get(1, 9, 7, 8)));
    }

    [Fact]
    public void UnknownWriteCannotTakeEffectBeforeItWasInvoked() =>
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(Get(1, 9, 1, 2), Put(0, 9, 3, Never)));

    [Fact]
    public void UnknownWriteTakesEffectAtMostOnce()
    {
        // Seen, overwritten, then seen again: one write cannot take effect twice.
        Assert.Equal(LinearizabilityVerdict.NotLinearizable,
            Check(Put(0, 9, 1, Never), Get(1, 9, 5, 6), Put(2, 3, 7, 8), Get(1, 9, 9, 10)));
    }

    [Fact]
    public void UnknownCompareAndSetTakesWhateverEffectTheStateDictates()
    {
        KvOperation p = Put(0, 5, 1, 2);
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(p, Cas(1, 5, 6, false, 3, Never), Get(2, 6, 5, 6)));
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(p, Cas(1, 5, 6, false, 3, Never), Get(2, 5, 5, 6)));
        // Its expected value never held, so it cannot have swapped.
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(p, Cas(1, 4, 6, false, 3, Never), Get(2, 6, 5, 6)));
    }

    [Fact]
    public void KeysAreCheckedIndependentlyAndTheFailingKeyIsReported()
    {
        LinearizabilityResult r = LinearizabilityChecker.Check(
        [
            Put(0, 5, 1, 2, key: 0), Get(1, 5, 3, 4, key: 0),
            Put(0, 7, 1, 2, key: 1), Put(0, 8, 3, 4, key: 1), Get(1, 7, 5, 6, key: 1),
            Get(1, 0, 1, 2, key: 2),
        ]);
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, r.Verdict);
        Assert.Equal(1, r.Key);
        Assert.Equal(3, r.KeyHistory.Count);
        // A read of the initial value of another key is fine although key 0 holds 5.
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(Put(0, 5, 1, 2, key: 0), Get(1, 0, 3, 4, key: 1)));
    }

    [Fact]
    public void LongSequentialHistoryIsDecidedQuickly()
    {
        var ops = new List<KvOperation>();
        for (int i = 0; i < 2000; i++)
        {
            ops.Add(Put(0, (ulong)i + 1, 4L * i, 4L * i + 1));
            ops.Add(Get(1, (ulong)i + 1, 4L * i + 2, 4L * i + 3));
        }
        Assert.Equal(LinearizabilityVerdict.Linearizable, LinearizabilityChecker.Check(ops, budgetPerKey: 100_000).Verdict);
        ops.Add(Get(1, 1, 10_000_000, 10_000_001));
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, LinearizabilityChecker.Check(ops, budgetPerKey: 100_000).Verdict);
    }

    [Fact]
    public void SearchThatExceedsItsBudgetIsInconclusive()
    {
        // Many unknown writes and a read that none of them explains: deciding means trying them all.
        var ops = new List<KvOperation>();
        for (int i = 0; i < 40; i++)
        {
            ops.Add(Put(i, (ulong)i + 1, i, Never));
        }
        ops.Add(Get(99, 1000, 100, 101));
        Assert.Equal(LinearizabilityVerdict.Inconclusive, LinearizabilityChecker.Check(ops, budgetPerKey: 10_000).Verdict);
    }
}
