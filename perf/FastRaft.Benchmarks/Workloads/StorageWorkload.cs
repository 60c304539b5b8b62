using FastRaft.Core;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Benchmarks.Workloads;

/// <summary>
/// <see cref="MemoryStorage"/> under its operations, each a steady-state cycle bounded in memory
/// (one <see cref="MemoryStorage.AdvanceEpoch"/> per call, as a host calls it once per Ready). A
/// call handles <see cref="Batch"/> entries; the benchmarks report per entry.
/// </summary>
public sealed class StorageWorkload
{
    /// <summary>Entries the storage holds between calls (what <see cref="Entries"/> reads from).</summary>
    public const int Window = 1024;

    private const int RewritesPerRenewal = 8;

    private readonly MemoryStorage _storage = new();
    private readonly Entry[] _entries;
    private readonly EntryBuffer _read;
    private readonly byte[] _payload;
    private ulong _term = 1;
    private int _rewritten;

    public StorageWorkload(int batch, int payloadSize)
    {
        if (batch < 1 || batch > Window)
        {
            BenchCheck.Fail($"batch must be in [1, {Window}]");
        }
        Batch = batch;
        _payload = Payloads.Make(payloadSize);
        _entries = new Entry[Window];
        _read = new EntryBuffer(Window);
        AppendAtTail(Window);
    }

    public int Batch { get; }

    public MemoryStorage Storage => _storage;

    /// <summary>
    /// Append: <see cref="Batch"/> entries after the last one. Once the storage holds two
    /// windows, the older window is compacted away (amortized over Window / Batch calls).
    /// </summary>
    public ulong Append()
    {
        AppendAtTail(Batch);
        ulong first = _storage.FirstIndex();
        ulong last = _storage.LastIndex();
        if (last + 1 - first >= 2 * Window)
        {
            BenchCheck.Ok(_storage.Compact(last - Window));
        }
        _storage.AdvanceEpoch();
        return last;
    }

    /// <summary>
    /// A host's Ready cycle: append <see cref="Batch"/> entries, then compact the oldest
    /// <see cref="Batch"/> away. Compact's cost per entry is this minus <see cref="Append"/>.
    /// </summary>
    public ulong AppendThenCompact()
    {
        AppendAtTail(Batch);
        ulong first = _storage.FirstIndex();
        BenchCheck.Ok(_storage.Compact(first - 1 + (ulong)Batch));
        _storage.AdvanceEpoch();
        return first;
    }

    /// <summary>Entries (a slice): reads <see cref="Batch"/> entries from the middle of the window.</summary>
    public ulong Entries()
    {
        ulong first = _storage.FirstIndex();
        ulong lo = first + (ulong)(Window - Batch) / 2;
        _read.Clear();
        BenchCheck.Ok(_storage.Entries(lo, lo + (ulong)Batch, ulong.MaxValue, _read));
        return _read[_read.Count - 1].Index;
    }

    /// <summary>
    /// Truncate-and-append: the last <see cref="Batch"/> stored entries are overwritten by
    /// entries of a higher term (a follower taking a new leader's suffix). Every 8 windows of
    /// rewrites everything is compacted and a fresh window appended, so that the payload arena
    /// can recycle its chunks (about 1/8 of an append per rewritten entry, amortized).
    /// </summary>
    public ulong TruncateAndAppend()
    {
        _term++;
        ulong last = _storage.LastIndex();
        Fill(last + 1 - (ulong)Batch, Batch);
        BenchCheck.Ok(_storage.Append(_entries.AsSpan(0, Batch)));
        _storage.AdvanceEpoch();
        _rewritten += Batch;
        if (_rewritten >= RewritesPerRenewal * Window)
        {
            _rewritten = 0;
            BenchCheck.Ok(_storage.Compact(last));
            _storage.AdvanceEpoch();
            AppendAtTail(Window);
        }
        return last;
    }

    private void AppendAtTail(int n)
    {
        Fill(_storage.LastIndex() + 1, n);
        BenchCheck.Ok(_storage.Append(_entries.AsSpan(0, n)));
    }

    private void Fill(ulong first, int n)
    {
        for (int i = 0; i < n; i++)
        {
            _entries[i] = new Entry(_term, first + (ulong)i, EntryType.Normal, _payload);
        }
    }
}
