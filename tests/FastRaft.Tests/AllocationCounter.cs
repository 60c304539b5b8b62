namespace FastRaft.Tests;

/// <summary>
/// Measures what a warmed-up loop allocates on the current thread. In a busy full test run the
/// thread's counter now and then shows an allocation the loop did not make (runtime tier-up
/// work landing on the thread); so a non-zero block is measured again, up to
/// <paramref name="attempts"/> times. A loop that really allocates does so in every block and
/// still fails.
/// </summary>
internal static class AllocationCounter
{
    public static long Steady(Action block, int attempts = 3)
    {
        long allocated = 0;
        for (int i = 0; i < attempts; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            block();
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated == 0)
            {
                return 0;
            }
        }
        return allocated;
    }
}
