using BenchmarkDotNet.Attributes;
using FastRaft.Benchmarks.Workloads;

namespace FastRaft.Benchmarks.Hosting;

/// <summary>
/// One voter as users run it: a RaftNodeAgent on a manual invoker (see
/// <see cref="AgentClusterWorkload"/>), time per committed entry from <c>ProposeAsync</c> to its
/// completion. Set against <see cref="Core.RawNodeSingleVoterBenchmarks"/> (the core alone), it
/// shows what the host adds per entry. <c>UntilQuiet</c>: a batch of proposals, then duty cycles
/// until the node has no work; <c>Streamed</c>: one duty cycle per batch.
/// </summary>
[MemoryDiagnoser]
public class SingleVoterAgentBenchmarks
{
    public const int EntriesPerInvoke = 256;

    private AgentClusterWorkload _workload = null!;

    [Params(1, 16, 256)]
    public int Batch { get; set; }

    [Params(16)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup() => _workload = new AgentClusterWorkload(1, PayloadBytes);

    [GlobalCleanup]
    public void Cleanup() => _workload.Dispose();

    [Benchmark(OperationsPerInvoke = EntriesPerInvoke)]
    public ulong UntilQuiet()
    {
        ulong applied = 0;
        for (int done = 0; done < EntriesPerInvoke; done += Batch)
        {
            applied = _workload.ProposeUntilQuiet(Batch);
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
