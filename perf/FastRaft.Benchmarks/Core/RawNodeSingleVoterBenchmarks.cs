using BenchmarkDotNet.Attributes;
using FastRaft.Benchmarks.Workloads;

namespace FastRaft.Benchmarks.Core;

/// <summary>
/// The core alone, not a host (see <see cref="SingleVoterWorkload"/>; the same through the agent
/// is <see cref="Hosting.SingleVoterAgentBenchmarks"/>). One voter: propose → Ready → persist to
/// MemoryStorage → Advance → committed and applied.
/// Each invocation commits <see cref="EntriesPerInvoke"/> entries in batches of
/// <see cref="Batch"/> proposals; the time is per committed entry.
/// <see cref="UntilQuiet"/> handles Readys until the node is idle after each batch (two Readys
/// per batch); <see cref="Streamed"/> handles one Ready per batch, which persists it and commits
/// the previous one (see <see cref="SingleVoterWorkload"/>).
/// Budget: 16 B, unbatched ≤ 250 ns and 0 B allocated.
/// </summary>
[MemoryDiagnoser]
public class RawNodeSingleVoterBenchmarks
{
    public const int EntriesPerInvoke = 256;

    private SingleVoterWorkload _workload = null!;

    [Params(1, 16, 256)]
    public int Batch { get; set; }

    [Params(16, 256, 4096)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup() => _workload = new SingleVoterWorkload(PayloadBytes);

    [Benchmark(OperationsPerInvoke = EntriesPerInvoke)]
    public ulong UntilQuiet()
    {
        ulong applied = 0;
        for (int done = 0; done < EntriesPerInvoke; done += Batch)
        {
            applied = _workload.ProposeAndCommit(Batch);
        }
        return applied;
    }

    [Benchmark(OperationsPerInvoke = EntriesPerInvoke)]
    public ulong Streamed()
    {
        ulong applied = 0;
        for (int done = 0; done < EntriesPerInvoke; done += Batch)
        {
            applied = _workload.ProposeStreamed(Batch);
        }
        return applied;
    }
}
