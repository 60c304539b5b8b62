namespace FastRaft.Simulation.Linearizability;

/// <summary>
/// The sequential specification of one key: a register with put, get and compare-and-set.
/// The state is the key's value; 0 means absent (never written).
/// </summary>
public static class KvModel
{
    public const ulong Initial = 0;

    /// <summary>
    /// Whether <paramref name="op"/> leaves every state it may take effect in unchanged: a get, a
    /// compare-and-set known to have failed, or one that swaps a value for itself.
    /// </summary>
    public static bool IsReadOnly(in KvOperation op) =>
        !op.Unknown && (op.Kind == KvOpKind.Get || (op.Kind == KvOpKind.CompareAndSet && (op.Output == 0 || op.Expected == op.Value)));

    /// <summary>
    /// Whether <paramref name="op"/> may take effect in <paramref name="state"/> with the result it
    /// reported, and the state after it. An operation of unknown outcome takes whatever effect the
    /// state dictates.
    /// </summary>
    public static bool Step(ulong state, in KvOperation op, out ulong next)
    {
        next = state;
        switch (op.Kind)
        {
            case KvOpKind.Put:
                next = op.Value;
                return true;
            case KvOpKind.Get:
                return op.Output == state;
            default:
                bool swaps = state == op.Expected;
                if (!op.Unknown && swaps != (op.Output == 1))
                {
                    return false;
                }
                if (swaps)
                {
                    next = op.Value;
                }
                return true;
        }
    }
}
