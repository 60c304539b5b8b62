using FastRaft.Core.Log;
using FastRaft.Core.Logging;
using FastRaft.Protocol;

namespace FastRaft.Benchmarks.Workloads;

/// <summary>
/// The unstable log (the ring of entries not yet persisted) under its operations, each written
/// as a steady-state cycle so that any number of calls stays bounded in memory. A call handles
/// <see cref="Batch"/> entries; the benchmarks report per entry.
/// </summary>
internal sealed class UnstableWorkload
{
    /// <summary>Entries the log holds between calls (what <see cref="Slice"/> reads from).</summary>
    public const int Window = 1024;

    /// <summary>After this many windows' worth of rewritten entries the log is renewed (see <see cref="TruncateAndAppend"/>).</summary>
    private const int RewritesPerRenewal = 8;

    private readonly Unstable _log = new(RaftLogger.Null, 1);
    private readonly Entry[] _entries;
    private readonly byte[] _payload;
    private ulong _term = 1;
    private int _rewritten;

    public UnstableWorkload(int batch, int payloadSize)
    {
        if (batch < 1 || batch > Window)
        {
            BenchCheck.Fail($"batch must be in [1, {Window}]");
        }
        Batch = batch;
        _payload = Payloads.Make(payloadSize);
        _entries = new Entry[Window];
        AppendAtTail(Window);
    }

    public int Batch { get; }

    public int Count => _log.Count;

    public ulong LastIndex => _log.Offset + (ulong)_log.Count - 1;

    /// <summary>
    /// Append: <see cref="Batch"/> entries after the last one, handed out for persistence. Once
    /// the log holds two windows, the older window becomes stable (amortized over
    /// Window / Batch calls, it costs about what <see cref="AppendThenStable"/> adds per entry).
    /// </summary>
    public ulong Append()
    {
        AppendAtTail(Batch);
        if (_log.Count >= 2 * Window)
        {
            StableFront(_log.Count - Window);
        }
        return LastIndex;
    }

    /// <summary>
    /// A leader's Ready cycle on the unstable log: append <see cref="Batch"/> entries, then the
    /// oldest <see cref="Batch"/> are persisted (StableTo, the unstable log's compaction) and a
    /// Ready boundary passes. StableTo's cost per entry is this minus <see cref="Append"/>.
    /// </summary>
    public ulong AppendThenStable()
    {
        AppendAtTail(Batch);
        StableFront(Batch);
        return _log.Offset;
    }

    /// <summary>Slice: reads <see cref="Batch"/> entries from the middle of the window.</summary>
    public ulong Slice()
    {
        ulong lo = _log.Offset + (ulong)(_log.Count - Batch) / 2;
        EntrySegments s = _log.Slice(lo, lo + (ulong)Batch);
        return s.Last.Index;
    }

    /// <summary>
    /// Truncate-and-append: the last <see cref="Batch"/> entries are replaced by entries of a
    /// higher term (a new leader's conflicting suffix) and a Ready boundary passes; the length
    /// stays the same. The arena recycles a chunk only once none of its bytes are live, so a log
    /// rewritten only at its tail would hold its oldest chunk forever: every
    /// <see cref="RewritesPerRenewal"/> windows of rewrites the whole log becomes stable and a
    /// fresh window is appended (about 1/8 of an append per rewritten entry, amortized).
    /// </summary>
    public ulong TruncateAndAppend()
    {
        _term++;
        Fill(LastIndex + 1 - (ulong)Batch, Batch);
        _log.TruncateAndAppend(_entries.AsSpan(0, Batch));
        _log.AcceptInProgress();
        _log.AdvanceEpoch();
        _rewritten += Batch;
        if (_rewritten >= RewritesPerRenewal * Window)
        {
            _rewritten = 0;
            StableFront(_log.Count);
            _log.AdvanceEpoch();
            AppendAtTail(Window);
        }
        return LastIndex;
    }

    private void StableFront(int n)
    {
        ulong to = _log.Offset + (ulong)n - 1;
        if (!_log.TryGetTerm(to, out ulong term))
        {
            BenchCheck.Fail($"no entry {to} in the unstable log");
        }
        _log.StableTo(to, term);
        _log.AdvanceEpoch();
    }

    private void AppendAtTail(int n)
    {
        Fill(_log.Offset + (ulong)_log.Count, n);
        _log.TruncateAndAppend(_entries.AsSpan(0, n));
        _log.AcceptInProgress();
    }

    private void Fill(ulong first, int n)
    {
        for (int i = 0; i < n; i++)
        {
            _entries[i] = new Entry(_term, first + (ulong)i, EntryType.Normal, _payload);
        }
    }
}
