namespace FastRaft.Tests.Perf;

/// <summary>
/// Measures what a hot operation allocates once warm: calls covering at least
/// <see cref="Iterations"/> entries warm it up (tiering, pools, arenas and lists reach their
/// steady size), then calls covering as many entries again are measured with the thread's
/// allocation counter.
/// </summary>
internal static class AllocationGate
{
    public const int Iterations = 10_000;

    /// <summary>
    /// The bytes allocated by the measured calls of <paramref name="operation"/>, which handles
    /// <paramref name="entriesPerCall"/> entries per call; <paramref name="last"/> is the last
    /// call's result and <paramref name="measuredCalls"/> how many calls were measured.
    /// </summary>
    public static long MeasuredBytes(Func<ulong> operation, int entriesPerCall, out ulong last, out int measuredCalls, int warmupEntries = Iterations)
    {
        int warmup = CallsFor(Math.Max(warmupEntries, Iterations), entriesPerCall);
        measuredCalls = CallsFor(Iterations, entriesPerCall);
        last = 0;
        for (int i = 0; i < warmup; i++)
        {
            last = operation();
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < measuredCalls; i++)
        {
            last = operation();
        }
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static int CallsFor(int entries, int entriesPerCall) => (entries + entriesPerCall - 1) / entriesPerCall;
}
