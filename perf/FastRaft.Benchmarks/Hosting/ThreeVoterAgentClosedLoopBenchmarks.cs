using BenchmarkDotNet.Attributes;
using FastRaft.Benchmarks.Workloads;

namespace FastRaft.Benchmarks.Hosting;

/// <summary>
/// Three voters as users run them (see <see cref="ThreeVoterAgentBenchmarks"/>), unbatched, in
/// the low-latency closed loop: with <c>RunContinuationsInline</c>, each 16-byte entry is proposed
/// from the completion of the previous one, which runs inside the leader's duty cycle, so the
/// next append leaves in the cycle that applied the last entry. Time per committed entry.
/// </summary>
[MemoryDiagnoser]
public class ThreeVoterAgentClosedLoopBenchmarks
{
    public const int EntriesPerInvoke = 256;

    private AgentClusterWorkload _workload = null!;

    [Params(16)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup() => _workload = new AgentClusterWorkload(3, PayloadBytes, continuationsInline: true);

    [GlobalCleanup]
    public void Cleanup() => _workload.Dispose();

    [Benchmark(OperationsPerInvoke = EntriesPerInvoke)]
    public ulong ClosedLoop() => _workload.ProposeClosedLoop(EntriesPerInvoke);
}
