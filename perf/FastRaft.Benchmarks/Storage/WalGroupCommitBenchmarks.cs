using BenchmarkDotNet.Attributes;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;

namespace FastRaft.Benchmarks.Storage;

/// <summary>
/// Write-ahead log group commit: one Save of 256 entries of 16 B plus a hard state, synced
/// (fdatasync) per batch, compacting behind so the disk use stays small. Times are per entry
/// (OperationsPerInvoke = 256); entries/s = 1e9 / mean, syncs/s = that / 256. Budget:
/// ≥ 200,000 entries/s. The log lives under the system temp directory (set TMPDIR to measure
/// another filesystem).
/// </summary>
[MemoryDiagnoser]
public class WalGroupCommitBenchmarks
{
    private const int Batch = 256;
    private readonly Entry[] _batch = new Entry[Batch];
    private readonly byte[] _payload = new byte[16];
    private WriteAheadLog _wal = null!;
    private string _dir = "";
    private ulong _next = 1;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "fastraft-wal-bdn-" + Guid.NewGuid().ToString("N"));
        _wal = WriteAheadLog.Open(_dir);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _wal.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public ulong SaveSynced()
    {
        for (int k = 0; k < Batch; k++)
        {
            _batch[k] = new Entry(1, _next + (ulong)k, EntryType.Normal, _payload);
        }
        Check(_wal.Save(new HardState(1, 1, _next - 1), _batch, null, mustSync: true));
        _next += Batch;
        if ((_next / Batch) % 64 == 0)
        {
            Check(_wal.Compact(_next - 1024));
        }
        _wal.AdvanceEpoch();
        return _next;
    }

    private static void Check(StorageStatus st)
    {
        if (st != StorageStatus.Ok)
        {
            throw new InvalidOperationException($"storage answered {st}");
        }
    }
}
