using System.Collections.Concurrent;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Protocol;

namespace FastRaft.Tests.Udp;

/// <summary>
/// A sink that keeps owned copies of what arrives (or only counts, for allocation tests) and
/// records delivery reports; waits are bounded.
/// </summary>
internal sealed class RecordingSink : ITransportSink
{
    private readonly Lock _gate = new();
    private readonly List<Message> _messages = [];
    private readonly List<int> _batchSizes = [];
    private readonly HashSet<int> _deliveringThreads = [];
    private long _count;

    /// <summary>Keep copies of the messages (off: count only, allocating nothing).</summary>
    public bool Keep { get; init; } = true;

    /// <summary>Refuse every batch, as a full inbox would.</summary>
    public volatile bool Refuse;

    public ConcurrentQueue<ulong> Unreachable { get; } = new();

    public ConcurrentQueue<(ulong Peer, SnapshotStatus Status)> SnapshotReports { get; } = new();

    public long Count => Interlocked.Read(ref _count);

    public bool Deliver(InboundBatch batch)
    {
        if (Refuse)
        {
            batch.Release();
            return false;
        }
        if (Keep)
        {
            lock (_gate)
            {
                _deliveringThreads.Add(Environment.CurrentManagedThreadId);
                _batchSizes.Add(batch.Count);
                foreach (ref readonly Message m in batch.Messages)
                {
                    _messages.Add(Own(in m));
                }
            }
        }
        Interlocked.Add(ref _count, batch.Count);
        batch.Release();
        return true;
    }

    public void ReportUnreachable(ulong nodeId) => Unreachable.Enqueue(nodeId);

    public void ReportSnapshot(ulong nodeId, SnapshotStatus status) => SnapshotReports.Enqueue((nodeId, status));

    public List<Message> Messages()
    {
        lock (_gate)
        {
            return [.. _messages];
        }
    }

    /// <summary>The managed ids of the threads that delivered batches (when keeping copies).</summary>
    public List<int> DeliveringThreads()
    {
        lock (_gate)
        {
            return [.. _deliveringThreads];
        }
    }

    public List<int> BatchSizes()
    {
        lock (_gate)
        {
            return [.. _batchSizes];
        }
    }

    /// <summary>Waits until <paramref name="count"/> messages arrived; false on timeout.</summary>
    public bool WaitFor(long count, TimeSpan? timeout = null) => Wait.Until(() => Count >= count, timeout);

    /// <summary>A deep copy: the batch's memory is reused once released.</summary>
    public static Message Own(in Message m)
    {
        Message c = m;
        var entries = new Entry[m.Entries.Length];
        for (int i = 0; i < entries.Length; i++)
        {
            Entry e = m.Entries.Span[i];
            entries[i] = e with { Data = e.Data.ToArray() };
        }
        c.Entries = entries;
        c.Context = m.Context.ToArray();
        return c;
    }
}

internal static class Wait
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(10);

    /// <summary>Polls <paramref name="condition"/> until true or the timeout passes.</summary>
    public static bool Until(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Default);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            Thread.Sleep(1);
        }
        return true;
    }
}
