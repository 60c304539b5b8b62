using BenchmarkDotNet.Attributes;
using FastRaft.Benchmarks.Workloads;

namespace FastRaft.Benchmarks.Core;

/// <summary>
/// Three voters in one process (three RawNodes, messages stepped straight into the peers, no
/// sockets): time per committed entry. Each invocation proposes <see cref="EntriesPerInvoke"/>
/// 16-byte entries in batches of <see cref="Batch"/>, either one RawNode.Propose per entry
/// (<c>ProposeEach…</c>: the leader sends an append per proposal, as etcd does) or the batch
/// stepped as one MsgProp (<c>ProposeBatch…</c>: one append per follower carries it; with
/// Batch = 1 the two are the same work). <c>…UntilQuiet</c> runs the cluster until no node has
/// a Ready after each batch, so the batch is applied on all three before the next one;
/// <c>…Streamed</c> handles one round of at most one Ready per node per batch, the steady state
/// of a busy cluster (see <see cref="ThreeVoterWorkload"/>).
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
    public ulong ProposeEachUntilQuiet()
    {
        ulong applied = 0;
        for (int done = 0; done < EntriesPerInvoke; done += Batch)
        {
            applied = _workload.ProposeEach(Batch);
        }
        return applied;
    }

    [Benchmark(OperationsPerInvoke = EntriesPerInvoke)]
    public ulong ProposeBatchUntilQuiet()
    {
        ulong applied = 0;
        for (int done = 0; done < EntriesPerInvoke; done += Batch)
        {
            applied = _workload.ProposeAsOneMessage(Batch);
        }
        return applied;
    }

    [Benchmark(OperationsPerInvoke = EntriesPerInvoke)]
    public ulong ProposeEachStreamed()
    {
        ulong applied = 0;
        for (int done = 0; done < EntriesPerInvoke; done += Batch)
        {
            applied = _workload.ProposeEachStreamed(Batch);
        }
        return applied;
    }

    [Benchmark(OperationsPerInvoke = EntriesPerInvoke)]
    public ulong ProposeBatchStreamed()
    {
        ulong applied = 0;
        for (int done = 0; done < EntriesPerInvoke; done += Batch)
        {
            applied = _workload.ProposeAsOneMessageStreamed(Batch);
        }
        return applied;
    }
}
