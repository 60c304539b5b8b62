namespace FastRaft.Simulation.Linearizability;

/// <summary>
/// One key's history after <see cref="HistoryReduction"/>: the operations the search must place
/// (values canonical), where each came from in the key's history, and the initial state.
/// </summary>
internal sealed class ReducedHistory(KvOperation[] ops, int[] origin, ulong initial)
{
    public KvOperation[] Ops { get; } = ops;

    /// <summary>Index of each reduced operation in the key's original history.</summary>
    public int[] Origin { get; } = origin;

    /// <summary>The canonical initial state.</summary>
    public ulong Initial { get; } = initial;
}

/// <summary>
/// Rewrites one key's history into one with the same verdict and a much smaller search space.
/// Every rule is exact: the reduced history is linearizable if and only if the original is (the
/// "if" direction is what keeps the checker sound). An operation of unknown outcome (returns "at
/// infinity") may always be linearized last, where its effect is seen by nobody; several rules
/// rest on that.
/// </summary>
internal static class HistoryReduction
{
    public static ReducedHistory Reduce(IReadOnlyList<KvOperation> keyOps)
    {
        var ops = new List<KvOperation>(keyOps.Count);
        var origin = new List<int>(keyOps.Count);
        for (int i = 0; i < keyOps.Count; i++)
        {
            KvOperation op = keyOps[i];
            // A read whose answer nobody received constrains nothing: it can be linearized
            // anywhere and "return" whatever the state is there.
            if (op.Unknown && op.Kind == KvOpKind.Get)
            {
                continue;
            }
            ops.Add(op);
            origin.Add(i);
        }
        CompleteObservedUnknownWrites(ops);
        while (DropUnknownCasThatCannotSwap(ops, origin) | DropUnobservableUnknownWrites(ops, origin))
        {
            // Each drop can unreference a value or leave an expected value unwritten: repeat
            // until nothing changes.
        }
        ulong initial = Canonicalize(ops);
        return new ReducedHistory([.. ops], [.. origin], initial);
    }

    /// <summary>
    /// An unknown write of a value v that nobody else writes (and that is not the initial value)
    /// took effect if some completed read saw v (a get returning v, or a compare-and-set that
    /// swapped from v), and it did so before the earliest such read returned. Giving it that
    /// return time (and, for a compare-and-set, the result "swapped") states constraints every
    /// linearization already satisfies, so the verdict is unchanged. Skipped when a read of v
    /// returned before the write was even invoked: that history is not linearizable and the
    /// search says so.
    /// </summary>
    private static void CompleteObservedUnknownWrites(List<KvOperation> ops)
    {
        Dictionary<ulong, int> writers = CountWriters(ops);
        var firstObserved = new Dictionary<ulong, long>();
        foreach (KvOperation op in ops)
        {
            if (op.Unknown)
            {
                continue;
            }
            ulong? seen = op.Kind switch
            {
                KvOpKind.Get => op.Output,
                KvOpKind.CompareAndSet when op.Output == 1 => op.Expected,
                _ => null,
            };
            if (seen is ulong v && (!firstObserved.TryGetValue(v, out long t) || op.Return < t))
            {
                firstObserved[v] = op.Return;
            }
        }
        for (int i = 0; i < ops.Count; i++)
        {
            KvOperation op = ops[i];
            if (op.Unknown && op.Kind != KvOpKind.Get && op.Value != KvModel.Initial && writers[op.Value] == 1
                && firstObserved.TryGetValue(op.Value, out long seenBy) && seenBy >= op.Call)
            {
                ops[i] = op with { Return = seenBy, Output = op.Kind == KvOpKind.CompareAndSet ? 1UL : op.Output };
            }
        }
    }

    /// <summary>
    /// An unknown compare-and-set whose expected value the key can never hold (nobody writes it
    /// and it is not the initial value), or that would swap a value for itself, leaves the state
    /// unchanged wherever it is linearized: an unknown no-op constrains nothing.
    /// </summary>
    private static bool DropUnknownCasThatCannotSwap(List<KvOperation> ops, List<int> origin)
    {
        Dictionary<ulong, int> writers = CountWriters(ops);
        return RemoveWhere(ops, origin, op =>
            op.Unknown && op.Kind == KvOpKind.CompareAndSet
            && (op.Expected == op.Value || (op.Expected != KvModel.Initial && !writers.ContainsKey(op.Expected))));
    }

    /// <summary>
    /// An unknown write of a value nothing reads (no get returns it, no compare-and-set expects it)
    /// can only matter by making the state differ from what a failed compare-and-set expected.
    /// With no failed compare-and-set that may be linearized after the write's invocation, drop it:
    /// given a linearization with it, remove it; the state it set is replaced by the one before
    /// it until the next put or swap. In that stretch no get or successful compare-and-set could
    /// have been linearized (the state was a value none of them names), no failed one exists, and
    /// an unknown compare-and-set that would now swap moves to the end (it may always go last).
    /// </summary>
    private static bool DropUnobservableUnknownWrites(List<KvOperation> ops, List<int> origin)
    {
        HashSet<ulong> referenced = Referenced(ops);
        long lastFailedCasReturn = long.MinValue;
        foreach (KvOperation op in ops)
        {
            if (!op.Unknown && op.Kind == KvOpKind.CompareAndSet && op.Output == 0)
            {
                lastFailedCasReturn = Math.Max(lastFailedCasReturn, op.Return);
            }
        }
        return RemoveWhere(ops, origin, op =>
            op.Unknown && op.Kind != KvOpKind.Get && !referenced.Contains(op.Value) && lastFailedCasReturn < op.Call);
    }

    /// <summary>
    /// Replaces every value that no operation compares the state with (no get returns it, no
    /// compare-and-set expects it) by one placeholder, the initial value included. The
    /// specification looks at the state only through those comparisons, so two unreferenced
    /// values behave identically; merging them changes no verdict and lets the search treat
    /// writes of such values as interchangeable.
    /// </summary>
    private static ulong Canonicalize(List<KvOperation> ops)
    {
        HashSet<ulong> referenced = Referenced(ops);
        ulong placeholder = ulong.MaxValue;
        while (referenced.Contains(placeholder))
        {
            placeholder--;
        }
        for (int i = 0; i < ops.Count; i++)
        {
            KvOperation op = ops[i];
            if (op.Kind != KvOpKind.Get && !referenced.Contains(op.Value))
            {
                ops[i] = op with { Value = placeholder };
            }
        }
        return referenced.Contains(KvModel.Initial) ? KvModel.Initial : placeholder;
    }

    /// <summary>Values the specification compares the state with: outputs of completed gets and expected values of compare-and-sets.</summary>
    private static HashSet<ulong> Referenced(List<KvOperation> ops)
    {
        var referenced = new HashSet<ulong>();
        foreach (KvOperation op in ops)
        {
            if (op.Kind == KvOpKind.Get)
            {
                referenced.Add(op.Output);
            }
            else if (op.Kind == KvOpKind.CompareAndSet)
            {
                referenced.Add(op.Expected);
            }
        }
        return referenced;
    }

    private static Dictionary<ulong, int> CountWriters(List<KvOperation> ops)
    {
        var writers = new Dictionary<ulong, int>();
        foreach (KvOperation op in ops)
        {
            if (op.Kind != KvOpKind.Get)
            {
                writers[op.Value] = writers.GetValueOrDefault(op.Value) + 1;
            }
        }
        return writers;
    }

    private static bool RemoveWhere(List<KvOperation> ops, List<int> origin, Func<KvOperation, bool> drop)
    {
        int kept = 0;
        for (int i = 0; i < ops.Count; i++)
        {
            if (!drop(ops[i]))
            {
                ops[kept] = ops[i];
                origin[kept] = origin[i];
                kept++;
            }
        }
        bool changed = kept < ops.Count;
        ops.RemoveRange(kept, ops.Count - kept);
        origin.RemoveRange(kept, origin.Count - kept);
        return changed;
    }
}
