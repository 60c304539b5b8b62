using FastRaft.Simulation.Linearizability;

namespace FastRaft.Tests.Simulation;

/// <summary>
/// The checker (reductions and pruned search) against a brute-force reading of the definition
/// on many small random histories, and on large ones that only the checker can decide.
/// </summary>
public class LinearizabilityDifferentialTests
{
    [Fact]
    public void AgreesWithBruteForceOnSmallRandomHistories()
    {
        var rng = new Random(10_2024);
        int linearizable = 0, not = 0;
        for (int i = 0; i < 1500; i++)
        {
            // Few values (repeats, writes of the initial value) or unique ones; one or two keys.
            var shape = new RandomHistories.Shape(
                Clients: rng.Next(1, 5), OpsPerClient: 1, Keys: rng.Next(10) == 0 ? 2 : 1,
                MaxDuration: rng.Next(1, 8), UnknownRate: rng.NextDouble() * 0.6, ValueDomain: rng.Next(2) == 0 ? 0 : rng.Next(2, 5));
            shape = shape with { OpsPerClient = rng.Next(1, 8 / shape.Clients + 1) };
            List<KvOperation> h = RandomHistories.Linearizable(rng, shape);
            if (rng.Next(2) == 0)
            {
                h = RandomHistories.Corrupt(rng, h);
            }
            bool expected = BruteForceLinearizability.IsLinearizable(h);
            LinearizabilityVerdict verdict = LinearizabilityChecker.Check(h).Verdict;
            Assert.True(verdict == (expected ? LinearizabilityVerdict.Linearizable : LinearizabilityVerdict.NotLinearizable),
                $"history {i}: brute force says {(expected ? "" : "not ")}linearizable, checker {verdict}:\n  {string.Join("\n  ", h)}");
            if (expected)
            {
                linearizable++;
            }
            else
            {
                not++;
            }
        }
        // Both verdicts are well represented, so agreement means something.
        Assert.True(linearizable > 300 && not > 300, $"{linearizable} linearizable, {not} not");
    }

    [Fact]
    public void HundredsOfConcurrentOperationsWithManyUnknownOutcomesAreDecided()
    {
        var rng = new Random(4242);
        for (int i = 0; i < 5; i++)
        {
            // 200 clients with two operations each, all within a window shorter than one
            // operation: hundreds overlap, a third of them of unknown outcome.
            var shape = new RandomHistories.Shape(Clients: 200, OpsPerClient: 2, Keys: 1, MaxDuration: 1000, UnknownRate: 0.3, ValueDomain: 0);
            List<KvOperation> h = RandomHistories.Linearizable(rng, shape);
            Assert.True(MostOpenAtOnce(h) >= 200 && h.FindAll(o => o.Unknown).Count > 80);
            Assert.Equal(LinearizabilityVerdict.Linearizable, LinearizabilityChecker.Check(h).Verdict);
        }
    }

    /// <summary>The largest number of operations invoked and not yet returned at one time (unknown ones never return).</summary>
    private static int MostOpenAtOnce(List<KvOperation> h)
    {
        var events = new List<(long Time, int Delta)>();
        foreach (KvOperation op in h)
        {
            events.Add((op.Call, 1));
            events.Add((op.Return, -1));
        }
        events.Sort((a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time) : b.Delta.CompareTo(a.Delta));
        int open = 0, most = 0;
        foreach ((_, int delta) in events)
        {
            open += delta;
            most = Math.Max(most, open);
        }
        return most;
    }

    [Fact]
    public void LongConcurrentHistoriesAndTheirCorruptionsAreDecided()
    {
        var rng = new Random(77);
        int rejected = 0;
        for (int i = 0; i < 20; i++)
        {
            // Like the simulation's: a few clients for a long time, some of them giving up.
            var shape = new RandomHistories.Shape(Clients: 5, OpsPerClient: 100, Keys: 1, MaxDuration: 40, UnknownRate: 0.1, ValueDomain: 0);
            List<KvOperation> h = RandomHistories.Linearizable(rng, shape);
            Assert.Equal(LinearizabilityVerdict.Linearizable, LinearizabilityChecker.Check(h).Verdict);
            LinearizabilityVerdict corrupted = LinearizabilityChecker.Check(RandomHistories.Corrupt(rng, h)).Verdict;
            Assert.NotEqual(LinearizabilityVerdict.Inconclusive, corrupted);
            rejected += corrupted == LinearizabilityVerdict.NotLinearizable ? 1 : 0;
        }
        Assert.True(rejected >= 10, $"only {rejected} of 20 corrupted histories rejected");
    }
}
