using System.Runtime.InteropServices;

namespace FastRaft.Simulation.Linearizability;

public enum LinearizabilityVerdict
{
    Linearizable,
    NotLinearizable,

    /// <summary>The search exceeded its budget without deciding.</summary>
    Inconclusive,
}

/// <summary>
/// The checker's answer; on failure, the key whose history has no linearization and either the
/// longest linearizable prefix the search found or, when the order of a few operations already
/// rules out every linearization, those operations (<see cref="Witness"/>, by invocation; see
/// <see cref="ReadContradiction"/>).
/// <see cref="Steps"/> counts the search steps over all keys checked (each key's are bounded by
/// the budget).
/// </summary>
public sealed record LinearizabilityResult(LinearizabilityVerdict Verdict, int Key, IReadOnlyList<KvOperation> KeyHistory, IReadOnlyList<KvOperation> LongestPrefix)
{
    public bool Ok => Verdict == LinearizabilityVerdict.Linearizable;

    public long Steps { get; init; }

    public ReadContradiction Contradiction { get; init; }

    public IReadOnlyList<KvOperation> Witness { get; init; } = [];
}

/// <summary>
/// Decides whether a history of key-value operations is linearizable. Keys are independent
/// objects (linearizability is compositional), so each key is checked on its own: its history is
/// reduced by rewrites that keep the verdict (<see cref="HistoryReduction"/>); a read that the
/// order of its value's writes rules out is reported at once (<see cref="ImpossibleReads"/>);
/// otherwise the reduced history is searched (<see cref="KeySearch"/>: Wing &amp; Gong with
/// Lowe's memoization, as in Porcupine, plus exact pruning rules).
/// </summary>
public static class LinearizabilityChecker
{
    /// <summary>Search steps allowed per key before the answer is Inconclusive.</summary>
    public const long DefaultBudget = 20_000_000;

    public static LinearizabilityResult Check(IReadOnlyList<KvOperation> history, long budgetPerKey = DefaultBudget)
    {
        ArgumentNullException.ThrowIfNull(history);
        var byKey = new SortedDictionary<int, List<KvOperation>>();
        foreach (KvOperation op in history)
        {
            if (!byKey.TryGetValue(op.Key, out List<KvOperation>? ops))
            {
                ops = [];
                byKey[op.Key] = ops;
            }
            ops.Add(op);
        }
        LinearizabilityResult? inconclusive = null;
        long steps = 0;
        foreach ((int key, List<KvOperation> ops) in byKey)
        {
            LinearizabilityResult r = CheckKey(key, ops, budgetPerKey);
            steps += r.Steps;
            if (r.Verdict == LinearizabilityVerdict.NotLinearizable)
            {
                return r with { Steps = steps };
            }
            if (r.Verdict == LinearizabilityVerdict.Inconclusive)
            {
                inconclusive ??= r;
            }
        }
        return (inconclusive ?? new LinearizabilityResult(LinearizabilityVerdict.Linearizable, -1, [], [])) with { Steps = steps };
    }

    private static LinearizabilityResult CheckKey(int key, List<KvOperation> ops, long budget)
    {
        ReducedHistory reduced = HistoryReduction.Reduce(ops);
        var found = new List<int>();
        ReadContradiction contradiction = ImpossibleReads.Find(reduced.Ops, reduced.Initial, found);
        if (contradiction != ReadContradiction.None)
        {
            return new LinearizabilityResult(LinearizabilityVerdict.NotLinearizable, key, ops, [])
            {
                Contradiction = contradiction,
                Witness = Originals(ops, reduced, CollectionsMarshal.AsSpan(found)),
            };
        }
        var search = new KeySearch(reduced.Ops, reduced.Initial);
        LinearizabilityVerdict verdict = search.Run(budget);
        IReadOnlyList<KvOperation> prefix = verdict == LinearizabilityVerdict.NotLinearizable ? Originals(ops, reduced, search.LongestPrefix) : [];
        return new LinearizabilityResult(verdict, key, ops, prefix) { Steps = search.Steps };
    }

    /// <summary>The key's original operations behind reduced ones (as recorded, not as rewritten).</summary>
    private static List<KvOperation> Originals(List<KvOperation> ops, ReducedHistory reduced, ReadOnlySpan<int> indexes)
    {
        var list = new List<KvOperation>(indexes.Length);
        foreach (int i in indexes)
        {
            list.Add(ops[reduced.Origin[i]]);
        }
        return list;
    }
}
