using BenchmarkDotNet.Attributes;
using FastRaft.Benchmarks.Workloads;

namespace FastRaft.Benchmarks.Hosting;

/// <summary>
/// Three voters as users run them: three RaftNodeAgents over the in-memory transport, driven by
/// manual invokers on the benchmark thread (see <see cref="AgentClusterWorkload"/>): time per
/// committed entry, from <c>ProposeAsync</c> to its completion with the state machine's result on
/// the leader. Each invocation proposes <see cref="EntriesPerInvoke"/> 16-byte entries.
/// <c>UntilQuiet</c> queues <see cref="Batch"/> proposals (the leader carries them out as one
/// MsgProp), then runs the cluster until no agent has work, so the batch is applied on all three
/// before the next one; <c>Streamed</c> runs one pass of the three agents per batch, the steady
/// state of a busy cluster. The unbatched closed loop is <see cref="ThreeVoterAgentClosedLoopBenchmarks"/>.
/// The budget of three voters in memory (unbatched ≤ 1 µs, batches of 256 ≤ 100 ns per entry) was
/// set for the core alone; this is the host on top of it. 0 B allocated.
/// </summary>
[MemoryDiagnoser]
public class ThreeVoterAgentBenchmarks
{
    public const int EntriesPerInvoke = 256;

    private AgentClusterWorkload _workload = null!;

    [Params(1, 16, 256)]
    public int Batch { get; set; }

    [Params(16)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup() => _workload = new AgentClusterWorkload(3, PayloadBytes);

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
