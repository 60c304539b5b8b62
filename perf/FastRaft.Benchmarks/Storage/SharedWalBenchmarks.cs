using BenchmarkDotNet.Attributes;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;

namespace FastRaft.Benchmarks.Storage;

/// <summary>
/// The shared write-ahead log's group commit across groups (issue 14): one cycle is every one
/// of 48 groups saving a batch of 64 entries of 16 B plus a
/// hard state into the shared log, then one SyncWrites (one fdatasync) for all of them; each
/// group compacts behind so the disk use stays small. Times and allocations are per entry
/// (OperationsPerInvoke = Groups × Batch): entries/s = 1e9 / mean. Budget: ≥ 1,000,000 entries/s
/// with an fdatasync per cycle, 0 B per entry. <see cref="Root"/> is where the log lives: tmpfs
/// (a sync costs nothing: the write path alone) and the real disk. <see cref="Writers"/> = 2
/// splits each cycle's Saves between this thread and a second one (as two runner threads do),
/// which measures the short lock around each Save's append to the shared segment.
/// </summary>
[MemoryDiagnoser]
public class SharedWalBenchmarks
{
    /// <summary>Groups writing into the log each cycle.</summary>
    private const int Groups = 48;

    /// <summary>Entries each group saves per cycle.</summary>
    private const int Batch = 64;

    private const int PayloadSize = 16;
    private readonly byte[] _payload = new byte[PayloadSize];
    private Entry[] _batch = [];
    private WalGroup[] _groups = [];
    private SharedWriteAheadLog _log = null!;
    private string _dir = "";
    private ulong _next = 1;
    private long _cycles;

    // The second writer: it saves the upper half of the groups when _generation moves on.
    private Thread? _helper;
    private long _generation;
    private long _helperDone;
    private volatile bool _stop;
    private bool _compactThisCycle;

    /// <summary>Threads saving each cycle's batches (1: all on the benchmark thread).</summary>
    [Params(1, 2)]
    public int Writers { get; set; } = 1;

    /// <summary>The directory the log is created under.</summary>
    [Params("/dev/shm", "/tmp")]
    public string Root { get; set; } = "/tmp";


    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Root, "fastraft-shared-wal-bdn-" + Guid.NewGuid().ToString("N"));
        _log = SharedWriteAheadLog.Open(_dir, new WalOptions { CacheBytes = 256 * 1024 });
        _groups = new WalGroup[Groups];
        for (int g = 0; g < Groups; g++)
        {
            _groups[g] = _log.OpenGroup((ulong)g + 1);
        }
        _batch = new Entry[Batch];
        if (Writers == 2)
        {
            _helper = new Thread(HelperLoop) { IsBackground = true, Name = "second writer" };
            _helper.Start();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop = true;
        _helper?.Join();
        _log.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>One cycle: every group saves a batch, then one sync covers them all. Per entry.</summary>
    [Benchmark(OperationsPerInvoke = Groups * Batch)]
    public ulong CycleWithOneSync()
    {
        for (int k = 0; k < _batch.Length; k++)
        {
            _batch[k] = new Entry(1, _next + (ulong)k, EntryType.Normal, _payload);
        }
        _compactThisCycle = ++_cycles % 64 == 0;
        if (Writers == 1)
        {
            SaveGroups(0, Groups);
        }
        else
        {
            long generation = Volatile.Read(ref _generation) + 1;
            Volatile.Write(ref _generation, generation);
            SaveGroups(0, Groups / 2);
            var wait = default(SpinWait);
            while (Volatile.Read(ref _helperDone) != generation)
            {
                wait.SpinOnce();
            }
        }
        _log.SyncWrites();
        _next += (ulong)_batch.Length;
        return _next;
    }

    private void SaveGroups(int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            WalGroup g = _groups[i];
            Check(g.Save(new HardState(1, 1, _next - 1), _batch, null, mustSync: true));
            if (_compactThisCycle)
            {
                Check(g.Compact(_next - 1024));
            }
            g.AdvanceEpoch();
        }
    }

    private void HelperLoop()
    {
        long seen = 0;
        var wait = default(SpinWait);
        while (!_stop)
        {
            long generation = Volatile.Read(ref _generation);
            if (generation == seen)
            {
                wait.SpinOnce();
                continue;
            }
            wait.Reset();
            SaveGroups(Groups / 2, Groups);
            seen = generation;
            Volatile.Write(ref _helperDone, generation);
        }
    }

    private static void Check(StorageStatus st)
    {
        if (st != StorageStatus.Ok)
        {
            throw new InvalidOperationException($"storage answered {st}");
        }
    }
}
