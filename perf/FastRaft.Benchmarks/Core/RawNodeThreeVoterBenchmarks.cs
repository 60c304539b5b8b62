using BenchmarkDotNet.Attributes;
using FastRaft.Benchmarks.Workloads;

namespace FastRaft.Benchmarks.Core;

/// <summary>
/// Three voters in one process (three RawNodes, messages stepped straight into the peers, no
/// sockets): time per entry until it is committed and applied on all three. Each invocation
/// commits <see cref="EntriesPerInvoke"/> 16-byte entries in batches of <see cref="Batch"/>:
/// <list type="bullet">
/// <item><see cref="ProposeEach"/>: one RawNode.Propose per entry, then the Readys (the leader
/// sends an append per proposal, as etcd does);</item>
/// <item><see cref="ProposeBatch"/>: the batch stepped as one MsgProp, so one append per
/// follower carries it (with Batch = 1 both are the same work).</item>
/// </list>
/// Budget: unbatched ≤ 1 µs, batches of 256 ≤ 100 ns per entry; 0 B allocated.
/// </summary>
[MemoryDiagnoser]
public class RawNodeThreeVoterBenchmarks
{
    public const int EntriesPerInvoke = 256;

    private ThreeVoterWorkload _workload = null!;

    [Params(1, 16, 256)]
    public int Batch { get; set; }

    [Params(16)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup() => _workload = new ThreeVoterWorkload(PayloadBytes);

    [Benchmark(OperationsPerInvoke = EntriesPerInvoke)]
    public ulong ProposeEach()
    {
        ulong applied = 0;
        for (int done = 0; done < EntriesPerInvoke; done += Batch)
        {
            applied = _workload.ProposeEach(Batch);
        }
        return applied;
    }

    [Benchmark(OperationsPerInvoke = EntriesPerInvoke)]
    public ulong ProposeBatch()
    {
        ulong applied = 0;
        for (int done = 0; done < EntriesPerInvoke; done += Batch)
        {
            applied = _workload.ProposeAsOneMessage(Batch);
        }
        return applied;
    }
}
