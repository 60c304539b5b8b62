using FastRaft.Core;
using FastRaft.Core.Logging;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Tests.Log;

/// <summary>Builders shared by the log and storage tests (etcd's index(i).terms(...) helpers).</summary>
internal static class LogFixtures
{
    /// <summary>Entries at consecutive indexes from <paramref name="first"/>, with the given terms.</summary>
    public static Entry[] Terms(ulong first, params ulong[] terms)
    {
        var entries = new Entry[terms.Length];
        for (int k = 0; k < terms.Length; k++)
        {
            entries[k] = new Entry(terms[k], first + (ulong)k);
        }
        return entries;
    }

    /// <summary>Entries at consecutive indexes from <paramref name="first"/>, with terms from..to-1.</summary>
    public static Entry[] TermRange(ulong first, ulong from, ulong to)
    {
        var entries = new Entry[to - from];
        for (ulong t = from; t < to; t++)
        {
            entries[t - from] = new Entry(t, first + (t - from));
        }
        return entries;
    }

    public static Entry WithData(ulong term, ulong index, string data) =>
        new(term, index, EntryType.EntryNormal, System.Text.Encoding.UTF8.GetBytes(data));

    public static Snapshot Snap(ulong index, ulong term, ConfState? cs = null, byte[]? data = null) =>
        new(data ?? ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(cs ?? ConfState.Empty, index, term));

    public static MemoryStorage StorageWithSnapshot(ulong index, ulong term)
    {
        var s = new MemoryStorage();
        Assert.Equal(Core.Storage.StorageStatus.Ok, s.ApplySnapshot(Snap(index, term)));
        return s;
    }

    /// <summary>Checks a status inside allocation-measured loops, where Assert.Equal may allocate.</summary>
    public static void Ok(Core.Storage.StorageStatus status)
    {
        if (status != Core.Storage.StorageStatus.Ok)
        {
            throw new InvalidOperationException(status.ToString());
        }
    }

    public static Entry[] ToArray(EntryBuffer buffer) => buffer.Span.ToArray();

    public static string Text(ReadOnlyMemory<byte> data) => System.Text.Encoding.UTF8.GetString(data.Span);
}

/// <summary>A log sink that keeps every line, formatted as the conformance scripts print them.</summary>
internal sealed class CapturingLogSink(RaftLogLevel minimum = RaftLogLevel.Debug) : IRaftLogSink
{
    public List<string> Lines { get; } = [];

    public bool IsEnabled(RaftLogLevel level) => level >= minimum && level != RaftLogLevel.None;

    public void Write(RaftLogLevel level, string message) => Lines.Add($"{RaftLogger.LevelName(level)} {message}");

    public RaftLogger Logger() => new(this);
}
