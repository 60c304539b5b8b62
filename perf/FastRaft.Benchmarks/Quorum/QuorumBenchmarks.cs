using BenchmarkDotNet.Attributes;
using FastRaft.Benchmarks.Workloads;
using FastRaft.Core.Quorum;

namespace FastRaft.Benchmarks.Quorum;

/// <summary>
/// The leader's quorum math through the progress tracker: the committed index after one
/// acknowledgement, and the tally of an election's votes, for 1 to 11 voters, simple and joint.
/// Budget: the committed index allocates 0 B.
/// </summary>
[MemoryDiagnoser]
public class QuorumBenchmarks
{
    private QuorumWorkload _workload = null!;

    [Params(1, 3, 5, 7, 11)]
    public int Voters { get; set; }

    [Params(false, true)]
    public bool Joint { get; set; }

    [GlobalSetup]
    public void Setup() => _workload = new QuorumWorkload(Voters, Joint);

    [Benchmark]
    public ulong CommittedIndex() => _workload.Acknowledge();

    [Benchmark]
    public int VoteTally() => (int)_workload.Tally();
}
