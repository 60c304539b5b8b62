using FastRaft.Core;
using FastRaft.Core.Logging;
using FastRaft.Protocol;
using FastRaft.Storage;
using Microsoft.Extensions.Logging;

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
        new(term, index, EntryType.Normal, System.Text.Encoding.UTF8.GetBytes(data));

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

/// <summary>An <see cref="ILogger"/> that keeps every line, formatted as the conformance scripts print them ("LEVEL message"), and its event id.</summary>
internal sealed class CapturingLogger(LogLevel minimum = LogLevel.Debug) : ILogger
{
    public List<string> Lines { get; } = [];

    public List<EventId> Events { get; } = [];

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        Lines.Add($"{FastRaft.Sample.Logging.TextWriterLogger.LevelName(logLevel)} {formatter(state, exception)}");
        Events.Add(eventId);
    }

    /// <summary>The library's internal front over this logger, for the core types built directly in tests.</summary>
    public RaftLogger Front() => new(this);
}
