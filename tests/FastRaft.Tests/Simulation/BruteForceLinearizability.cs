using FastRaft.Simulation.Linearizability;

namespace FastRaft.Tests.Simulation;

/// <summary>
/// A reference for the checker, written straight from the definition and sharing none of its
/// code: a history is linearizable when some order of all its operations respects real time
/// (an operation that returned before another was invoked comes first) and replays on the
/// sequential specification of each key. An operation of unknown outcome may take effect
/// anywhere after its invocation, including after everything else (which is "never"); its
/// result is not checked. Tries every order, so only for a handful of operations.
/// </summary>
internal static class BruteForceLinearizability
{
    public static bool IsLinearizable(IReadOnlyList<KvOperation> history)
    {
        if (history.Count > 9)
        {
            throw new ArgumentException("brute force is for small histories", nameof(history));
        }
        return Place(history, new bool[history.Count], new Dictionary<int, ulong>(), 0);
    }

    private static bool Place(IReadOnlyList<KvOperation> h, bool[] placed, Dictionary<int, ulong> state, int count)
    {
        if (count == h.Count)
        {
            return true;
        }
        for (int x = 0; x < h.Count; x++)
        {
            if (placed[x] || !MayGoNext(h, placed, x))
            {
                continue;
            }
            KvOperation op = h[x];
            ulong before = state.GetValueOrDefault(op.Key);
            if (!Apply(op, before, out ulong after))
            {
                continue;
            }
            placed[x] = true;
            state[op.Key] = after;
            bool found = Place(h, placed, state, count + 1);
            placed[x] = false;
            state[op.Key] = before;
            if (found)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>No operation still to be placed returned before <paramref name="x"/> was invoked.</summary>
    private static bool MayGoNext(IReadOnlyList<KvOperation> h, bool[] placed, int x)
    {
        for (int y = 0; y < h.Count; y++)
        {
            if (y != x && !placed[y] && h[y].Return < h[x].Call)
            {
                return false;
            }
        }
        return true;
    }

    private static bool Apply(KvOperation op, ulong state, out ulong after)
    {
        after = state;
        bool unknown = op.Return == KvOperation.Never;
        switch (op.Kind)
        {
            case KvOpKind.Get:
                return unknown || op.Output == state;
            case KvOpKind.Put:
                after = op.Value;
                return true;
            default:
                bool swaps = state == op.Expected;
                if (swaps)
                {
                    after = op.Value;
                }
                return unknown || swaps == (op.Output == 1);
        }
    }
}
