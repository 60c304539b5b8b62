namespace FastRaft.Simulation.Linearizability;

/// <summary>How a completed read contradicts the real-time order of the writes (see <see cref="ImpossibleReads"/>).</summary>
public enum ReadContradiction
{
    None,

    /// <summary>The read needs a value that is not the initial one and that no operation writes.</summary>
    NeverWritten,

    /// <summary>The only write of the value was invoked after the read returned.</summary>
    WrittenAfterRead,

    /// <summary>
    /// Another write falls, in real time, between the read and the only way its value came about:
    /// its only write, preceded by the only write of the value that write swapped from, and so on
    /// (or the start, for the initial value).
    /// </summary>
    Overwritten,
}

/// <summary>
/// A quick proof of non-linearizability for the usual shapes of a wrong read, so that the search
/// does not have to exhaust every order of the operations around it to reject. Take a completed
/// operation G that needs the state to hold v (a get returning v, a compare-and-set that swapped
/// from v), v having at most one source (a writer, or the start when v is the initial value):
/// <list type="bullet">
/// <item>no source: G cannot be linearized;</item>
/// <item>the writer W was invoked after G returned: W cannot precede G;</item>
/// <item>the chain of sources: W took effect before G; if W is a compare-and-set from u and u
/// has one source W', W' took effect before W, and so on, to a chain start S (a put, the start
/// of the history, or a compare-and-set from a value with several sources). Between S and G
/// the state changes only along the chain, since each value on it has no other writer: a
/// completed put or swap X off the chain invoked after S returned and returning before G was
/// invoked lies between them in every linearization, and breaks the chain.</item>
/// </list>
/// Finding one is enough to reject; finding none proves nothing (the search decides).
/// </summary>
internal static class ImpossibleReads
{
    public static ReadContradiction Find(KvOperation[] ops, ulong initial, List<int> witness)
    {
        witness.Clear();
        var sources = new Dictionary<ulong, (int Count, int Writer)>();
        sources[initial] = (1, -1);
        var replacing = new List<int>();
        for (int i = 0; i < ops.Length; i++)
        {
            if (Writes(ops[i]))
            {
                sources[ops[i].Value] = (sources.GetValueOrDefault(ops[i].Value).Count + 1, i);
                if (!ops[i].Unknown)
                {
                    replacing.Add(i);
                }
            }
        }
        replacing.Sort((a, b) => ops[a].Call.CompareTo(ops[b].Call));
        var chain = new HashSet<int>();
        for (int g = 0; g < ops.Length; g++)
        {
            if (Needed(ops[g]) is not ulong v)
            {
                continue;
            }
            (int count, int w) = sources.GetValueOrDefault(v);
            if (count == 0)
            {
                witness.Add(g);
                return ReadContradiction.NeverWritten;
            }
            if (count > 1)
            {
                continue;
            }
            if (w >= 0 && ops[g].Return < ops[w].Call)
            {
                witness.AddRange([w, g]);
                return ReadContradiction.WrittenAfterRead;
            }
            long start = ChainStart(ops, sources, w, chain);
            int x = ReplacingWithin(ops, replacing, chain, start, ops[g].Call);
            if (x >= 0)
            {
                witness.AddRange(chain);
                witness.AddRange([x, g]);
                witness.Sort((a, b) => ops[a].Call.CompareTo(ops[b].Call));
                return ReadContradiction.Overwritten;
            }
        }
        return ReadContradiction.None;
    }

    /// <summary>Follows the sources back from writer <paramref name="w"/> (-1: the start); returns when the chain's start returned.</summary>
    private static long ChainStart(KvOperation[] ops, Dictionary<ulong, (int Count, int Writer)> sources, int w, HashSet<int> chain)
    {
        chain.Clear();
        if (w < 0)
        {
            // The initial value, which nobody writes: the chain starts with the history.
            return long.MinValue;
        }
        while (chain.Add(w))
        {
            KvOperation op = ops[w];
            if (op.Kind != KvOpKind.CompareAndSet)
            {
                return op.Return;
            }
            (int count, int from) = sources.GetValueOrDefault(op.Expected);
            if (count != 1)
            {
                return op.Return;
            }
            if (from < 0)
            {
                // From the initial value, which nobody writes: the chain starts with the history.
                return long.MinValue;
            }
            w = from;
        }
        // A cycle of swaps, each the only source of the next one's value: not linearizable
        // either, but leave that to the search.
        return long.MaxValue;
    }

    /// <summary>A completed put or swap off the chain invoked after <paramref name="after"/> that returned before <paramref name="before"/>; -1 if none.</summary>
    private static int ReplacingWithin(KvOperation[] ops, List<int> replacing, HashSet<int> chain, long after, long before)
    {
        int lo = 0, hi = replacing.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (ops[replacing[mid]].Call > after)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }
        for (int k = lo; k < replacing.Count && ops[replacing[k]].Call < before; k++)
        {
            int x = replacing[k];
            if (ops[x].Return < before && !chain.Contains(x))
            {
                return x;
            }
        }
        return -1;
    }

    /// <summary>The value a completed operation needs the state to hold when it takes effect.</summary>
    private static ulong? Needed(in KvOperation op) => op.Unknown ? null : op.Kind switch
    {
        KvOpKind.Get => op.Output,
        KvOpKind.CompareAndSet when op.Output == 1 => op.Expected,
        _ => null,
    };

    /// <summary>Whether the operation may write its value (a put, or a compare-and-set not known to have failed).</summary>
    private static bool Writes(in KvOperation op) =>
        op.Kind == KvOpKind.Put || (op.Kind == KvOpKind.CompareAndSet && (op.Unknown || op.Output == 1));
}
