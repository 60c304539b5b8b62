using BenchmarkDotNet.Attributes;
using FastRaft.Benchmarks.Workloads;

namespace FastRaft.Benchmarks.Log;

/// <summary>
/// The unstable log's ring of entries: append, slice, truncate-and-append, and append followed
/// by StableTo (its compaction). Times are per entry; each operation is described on
/// <see cref="UnstableWorkload"/>.
/// </summary>
[MemoryDiagnoser]
public class UnstableBenchmarks
{
    private const int PerInvoke = 256;

    private UnstableWorkload _workload = null!;

    [Params(1, 16, 256)]
    public int Batch { get; set; }

    [Params(16, 256)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup() => _workload = new UnstableWorkload(Batch, PayloadBytes);

    [Benchmark(OperationsPerInvoke = PerInvoke)]
    public ulong Append()
    {
        ulong sink = 0;
        for (int done = 0; done < PerInvoke; done += Batch)
        {
            sink += _workload.Append();
        }
        return sink;
    }

    [Benchmark(OperationsPerInvoke = PerInvoke)]
    public ulong Slice()
    {
        ulong sink = 0;
        for (int done = 0; done < PerInvoke; done += Batch)
        {
            sink += _workload.Slice();
        }
        return sink;
    }

    [Benchmark(OperationsPerInvoke = PerInvoke)]
    public ulong TruncateAndAppend()
    {
        ulong sink = 0;
        for (int done = 0; done < PerInvoke; done += Batch)
        {
            sink += _workload.TruncateAndAppend();
        }
        return sink;
    }

    [Benchmark(OperationsPerInvoke = PerInvoke)]
    public ulong AppendThenStable()
    {
        ulong sink = 0;
        for (int done = 0; done < PerInvoke; done += Batch)
        {
            sink += _workload.AppendThenStable();
        }
        return sink;
    }
}
