namespace FastRaft.Tests.Perf;

/// <summary>
/// The allocation gates run on their own, after the parallel tests: they are CPU-heavy, and
/// other tests' allocation counters are only reliable once their methods have tiered up, which
/// heavy neighbours delay into the measured loops.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationGateCollection
{
    public const string Name = "Allocation gates";
}
