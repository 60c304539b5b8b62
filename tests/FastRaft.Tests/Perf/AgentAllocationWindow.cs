using FastRaft.Benchmarks.Workloads;

namespace FastRaft.Tests.Perf;

/// <summary>
/// Measures what an <see cref="AgentClusterWorkload"/> operation allocates per entry once warm,
/// exactly. Every node of the workload snapshots its state machine and compacts its log every
/// <see cref="AgentClusterWorkload.SnapshotEvery"/> entries (so nothing grows without bound), and
/// a snapshot allocates its record; so the measured window lies between two snapshots: it starts
/// once every node has just taken one and covers <see cref="AllocationGate.Iterations"/> entries,
/// well under a snapshot period, and the gate checks that no node took a snapshot inside it.
/// Warm-up covers two snapshot periods first, so every pool, ring and the storage's entry window
/// and payload slabs reached the size a period needs.
/// </summary>
internal static class AgentAllocationWindow
{
    /// <summary>
    /// The bytes allocated by the measured calls of <paramref name="operation"/>, which handles
    /// <paramref name="entriesPerCall"/> entries per call (repeated, in a new window, up to
    /// <see cref="AllocationGate.MaxAttempts"/> times while not 0; see <see cref="AllocationGate"/>).
    /// </summary>
    public static long MeasuredBytes(AgentClusterWorkload w, Func<ulong> operation, int entriesPerCall)
    {
        int calls = (AllocationGate.Iterations + entriesPerCall - 1) / entriesPerCall;
        Assert.True((ulong)(AllocationGate.Iterations + (2 * entriesPerCall)) < AgentClusterWorkload.SnapshotEvery, "the window must fit between two snapshots");
        for (int period = 0; period < 2; period++)
        {
            RunUntilEveryNodeSnapshotted(w, operation);
        }
        long allocated = 0;
        for (int attempt = 0; attempt < AllocationGate.MaxAttempts; attempt++)
        {
            RunUntilEveryNodeSnapshotted(w, operation);
            long[] snapshots = Snapshots(w);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < calls; i++)
            {
                operation();
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(snapshots, Snapshots(w));
            if (allocated == 0)
            {
                break;
            }
        }
        return allocated;
    }

    private static void RunUntilEveryNodeSnapshotted(AgentClusterWorkload w, Func<ulong> operation)
    {
        long[] start = Snapshots(w);
        long limit = (2 * (long)AgentClusterWorkload.SnapshotEvery) + w.Proposed;
        while (!EveryNodeSnapshottedSince(w, start))
        {
            operation();
            Assert.True(w.Proposed < limit, "no snapshot on every node within two snapshot periods");
        }
    }

    private static bool EveryNodeSnapshottedSince(AgentClusterWorkload w, long[] start)
    {
        for (int i = 0; i < w.Voters; i++)
        {
            if (w.SnapshotsTaken(i) == start[i])
            {
                return false;
            }
        }
        return true;
    }

    private static long[] Snapshots(AgentClusterWorkload w)
    {
        long[] counts = new long[w.Voters];
        for (int i = 0; i < counts.Length; i++)
        {
            counts[i] = w.SnapshotsTaken(i);
        }
        return counts;
    }
}
