using BenchmarkDotNet.Attributes;
using FastRaft.Benchmarks.Workloads;

namespace FastRaft.Benchmarks.Storage;

/// <summary>
/// MemoryStorage: append, entries (slice), truncate-and-append, and append followed by Compact.
/// Times are per entry; each operation is described on <see cref="StorageWorkload"/>.
/// </summary>
[MemoryDiagnoser]
public class MemoryStorageBenchmarks
{
    private const int PerInvoke = 256;

    private StorageWorkload _workload = null!;

    [Params(1, 16, 256)]
    public int Batch { get; set; }

    [Params(16, 256)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup() => _workload = new StorageWorkload(Batch, PayloadBytes);

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
    public ulong Entries()
    {
        ulong sink = 0;
        for (int done = 0; done < PerInvoke; done += Batch)
        {
            sink += _workload.Entries();
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
    public ulong AppendThenCompact()
    {
        ulong sink = 0;
        for (int done = 0; done < PerInvoke; done += Batch)
        {
            sink += _workload.AppendThenCompact();
        }
        return sink;
    }
}
