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
        // Thirty overlapping writes of values that all matter (each is some compare-and-set's
        // expected value), then two reads that no order of them explains: deciding that means
        // trying every subset of the writes.
        var ops = new List<KvOperation>();
        for (int i = 0; i < 30; i++)
        {
            ops.Add(Put(i, (ulong)i + 1, 0, 100));
            ops.Add(Cas(100 + i, (ulong)i + 1, 1000, false, 300, 301));
        }
        ops.Add(Get(99, 1, 101, 102));
        ops.Add(Get(99, 2, 103, 104));
        Assert.Equal(LinearizabilityVerdict.Inconclusive, LinearizabilityChecker.Check(ops, budgetPerKey: 100_000).Verdict);
    }

    [Fact]
    public void ManyUnknownWritesThatNothingExplainsAreRejectedQuickly()
    {
        // Forty unknown writes of values nobody reads and a read of a value nobody wrote: the
        // writes are interchangeable, so there are only forty-one ways to place them.
        var ops = new List<KvOperation>();
        for (int i = 0; i < 40; i++)
        {
            ops.Add(Put(i, (ulong)i + 1, i, Never));
        }
        ops.Add(Get(99, 1000, 100, 101));
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, LinearizabilityChecker.Check(ops, budgetPerKey: 10_000).Verdict);
    }

    [Fact]
    public void UnknownReadConstrainsNothing() =>
        // The client never got an answer; the value recorded for it means nothing.
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(Put(0, 5, 1, 2), Get(1, 7, 3, Never), Get(2, 5, 4, 5)));

    [Fact]
    public void UnknownCompareAndSetThatCanNeverSwapIsANoOp()
    {
        // Nobody writes 4, so the unknown swap from 4 never happened and 6 cannot be read...
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(Put(0, 5, 1, 2), Cas(1, 4, 6, false, 3, Never), Get(2, 6, 5, 6)));
        // ...but once 4 is written (even later, by a write of unknown outcome) it may have swapped.
        Assert.Equal(LinearizabilityVerdict.Linearizable,
            Check(Put(0, 5, 1, 2), Cas(1, 4, 6, false, 3, Never), Put(3, 4, 4, Never), Get(2, 6, 5, 6)));
    }

    [Fact]
    public void UnknownCompareAndSetWaitsForItsExpectedValue()
    {
        // Invoked while the key holds 1, it may still swap once 5 is written.
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(Put(0, 1, 1, 2), Cas(1, 5, 6, false, 3, Never), Put(2, 5, 4, 5), Get(3, 6, 6, 7)));
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(Put(0, 1, 1, 2), Cas(1, 5, 6, false, 3, Never), Put(2, 5, 4, 5), Get(3, 5, 6, 7)));
    }

    [Fact]
    public void OnlyUnknownOperationsLeftDoesNotExcuseAnEarlierRead() =>
        // The unknown write is all that remains after the read, but the read is still wrong.
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(Put(0, 5, 1, 2), Put(1, 6, 3, Never), Get(2, 7, 4, 5)));

    [Fact]
    public void ObservedUnknownWriteTookEffectBeforeItsFirstReaderReturned()
    {
        // The unknown swap to 6 was seen, so it happened before time 5: 5 cannot come back.
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(Put(0, 5, 1, 2), Cas(1, 5, 6, false, 3, Never), Get(2, 6, 4, 5), Get(3, 5, 6, 7)));
        // Seen by a swap from 9 that succeeded: same.
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(Put(0, 9, 3, Never), Cas(1, 9, 7, true, 4, 5), Get(2, 0, 6, 7)));
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(Put(0, 9, 3, Never), Cas(1, 9, 7, true, 4, 5), Get(2, 7, 6, 7)));
    }

    [Fact]
    public void ValueWrittenTwiceIsNotAnObservationOfTheUnknownWrite()
    {
        // The first read of 9 may have seen the completed write; the unknown write of 9 can
        // still take effect after the put of 4 and explain the last read. Taking the first read
        // as the unknown write's observer would wrongly reject this history.
        Assert.Equal(LinearizabilityVerdict.Linearizable,
            Check(Put(0, 9, 1, 2), Put(1, 9, 3, Never), Get(2, 9, 4, 5), Put(3, 4, 6, 7), Get(2, 9, 8, 9)));
    }

    [Fact]
    public void ReadBeforeTheUnknownWriteWasInvokedIsNotAnObservation() =>
        // A read of 9 that returned before the only write of 9 began: not linearizable, whatever
        // the unknown write did later.
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(Put(0, 1, 0, 1), Get(1, 9, 2, 3), Put(0, 9, 4, Never), Get(1, 9, 5, 6)));

    [Fact]
    public void UnreadUnknownWriteStillExplainsAFailedCompareAndSet()
    {
        // Nobody reads 7, but the swap from 5 failed, so something (the unknown put) must have
        // replaced 5 first. Dropping unread unknown writes outright would reject this.
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(Put(0, 5, 1, 2), Put(1, 7, 3, Never), Cas(2, 5, 6, false, 4, 5)));
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(Put(0, 5, 1, 2), Cas(2, 5, 6, false, 4, 5)));
        // The unknown put was invoked after the failure returned: it cannot explain it.
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(Put(0, 5, 1, 2), Cas(2, 5, 6, false, 4, 5), Put(1, 7, 6, Never)));
    }

    [Fact]
    public void ValuesNobodyReadsAreNotConfusedWithValuesSomeoneReads()
    {
        // 7 is never read: it stands for "some other value"; that must not make it the initial
        // value (read as 0) or a value read elsewhere (even the largest one).
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(Put(0, 7, 1, 2), Get(1, 0, 3, 4)));
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(Put(0, 7, 1, 2), Get(1, ulong.MaxValue, 3, 4), Put(0, ulong.MaxValue, 5, 6)));
        Assert.Equal(LinearizabilityVerdict.NotLinearizable,
            Check(Put(0, 7, 1, 2), Get(1, ulong.MaxValue, 3, 4), Get(1, ulong.MaxValue - 1, 5, 6), Put(0, ulong.MaxValue, 7, 8), Put(0, ulong.MaxValue - 1, 9, 10)));
    }

    [Fact]
    public void InterchangeableWritesWithDifferentIntervalsAreBothTried()
    {
        // Two writes of unread values: the one that returns first must go before the failed swap
        // from 0, the other may follow the read of 5. Any order that respects their intervals works.
        Assert.Equal(LinearizabilityVerdict.Linearizable,
            Check(Put(0, 7, 1, 3), Put(1, 8, 1, 20), Cas(2, 0, 9, false, 4, 5), Put(3, 5, 6, 7), Get(4, 5, 8, 9), Cas(2, 5, 9, false, 10, 11)));
        // Here both must have happened before the read of 5 (they returned before it): the last swap from 5 cannot fail.
        Assert.Equal(LinearizabilityVerdict.NotLinearizable,
            Check(Put(0, 7, 1, 3), Put(1, 8, 1, 5), Cas(2, 0, 9, false, 4, 5), Put(3, 5, 6, 7), Get(4, 5, 8, 9), Cas(2, 5, 9, false, 10, 11)));
    }

    [Fact]
    public void ReadsAreLinearizedGreedilyOnlyWhenTheyMayGoFirst()
    {
        // The read of 0 is concurrent with the write, the read of 5 follows it: both fit.
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(Put(0, 5, 1, 10), Get(1, 0, 2, 3), Get(2, 5, 11, 12)));
        // A read of 0 invoked after another read returned 5 cannot be placed first.
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(Put(0, 5, 1, 10), Get(1, 5, 2, 3), Get(2, 0, 4, 5)));
    }

    [Fact]
    public void ReadOfAValueNobodyWroteIsExplained()
    {
        LinearizabilityResult r = LinearizabilityChecker.Check([Put(0, 5, 1, 2), Get(1, 7, 3, 4)]);
        Assert.Equal(ReadContradiction.NeverWritten, r.Contradiction);
        Assert.Equal([Get(1, 7, 3, 4)], r.Witness);
    }

    [Fact]
    public void ReadBeforeItsOnlyWriteIsExplained()
    {
        LinearizabilityResult r = LinearizabilityChecker.Check([Get(1, 9, 1, 2), Put(0, 9, 3, 4)]);
        Assert.Equal(ReadContradiction.WrittenAfterRead, r.Contradiction);
        Assert.Equal([Put(0, 9, 3, 4), Get(1, 9, 1, 2)], r.Witness);
    }

    [Fact]
    public void StaleReadIsExplainedByTheWriteInBetween()
    {
        LinearizabilityResult r = LinearizabilityChecker.Check([Put(0, 5, 1, 2), Put(0, 6, 3, 4), Get(1, 5, 5, 6)]);
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, r.Verdict);
        Assert.Equal(ReadContradiction.Overwritten, r.Contradiction);
        Assert.Equal([Put(0, 5, 1, 2), Put(0, 6, 3, 4), Get(1, 5, 5, 6)], r.Witness);
        // The initial value, which nobody writes, is overwritten by any completed write.
        r = LinearizabilityChecker.Check([Put(0, 5, 1, 2), Get(1, 0, 3, 4)]);
        Assert.Equal(ReadContradiction.Overwritten, r.Contradiction);
        Assert.Equal([Put(0, 5, 1, 2), Get(1, 0, 3, 4)], r.Witness);
    }

    [Fact]
    public void StaleReadThroughAChainOfSwapsIsExplained()
    {
        // 2 came only from the swap from 1, which came only from the put of 1: the put of 7,
        // between that put and the read, breaks the chain. The unknown swap took effect (2 was
        // read), and is reported as recorded.
        KvOperation put1 = Put(0, 1, 1, 2), swap = Cas(1, 1, 2, false, 3, Never), put7 = Put(2, 7, 10, 11), read = Get(3, 2, 20, 21);
        LinearizabilityResult r = LinearizabilityChecker.Check([put1, swap, put7, read]);
        Assert.Equal(ReadContradiction.Overwritten, r.Contradiction);
        Assert.Equal([put1, swap, put7, read], r.Witness);
        // A swap on the chain is no intervening write.
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(put1, Cas(1, 1, 2, true, 3, 4), Get(3, 2, 5, 6)));
        // A value written twice has no single source: the later write may explain the read.
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(Put(0, 9, 1, 2), Put(1, 4, 3, 4), Put(2, 9, 5, 6), Get(3, 9, 7, 8)));
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(Put(0, 5, 1, 2), Put(1, 0, 3, 4), Get(3, 0, 5, 6)));
    }

    [Fact]
    public void SearchFailureReportsTheLongestLinearizablePrefix()
    {
        // Two swaps from 5 both reported success, concurrently: no single read is to blame.
        LinearizabilityResult r = LinearizabilityChecker.Check([Put(0, 5, 1, 2), Cas(1, 5, 6, true, 3, 10), Cas(2, 5, 7, true, 4, 9)]);
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, r.Verdict);
        Assert.Equal(ReadContradiction.None, r.Contradiction);
        // The put; either swap after it would leave the other one's 5 unreachable, so the search
        // does not count it as progress.
        Assert.Equal([Put(0, 5, 1, 2)], r.LongestPrefix);
    }

    [Fact]
    public void SameOperationsInAnotherOrderAreAnotherConfiguration()
    {
        // The search first tries the put of 1 (it returns first), then 2: state 2, and the failed
        // swap from 2 cannot follow. The other order linearizes the same two puts but leaves 1:
        // remembering only which operations were linearized, not the state, would miss it.
        Assert.Equal(LinearizabilityVerdict.Linearizable, Check(Put(0, 1, 1, 9), Put(1, 2, 1, 10), Cas(2, 2, 9, false, 11, 12)));
        Assert.Equal(LinearizabilityVerdict.NotLinearizable, Check(Put(0, 1, 1, 9), Put(1, 2, 1, 10), Cas(2, 2, 9, false, 11, 12), Cas(3, 1, 9, false, 13, 14)));
    }
}
