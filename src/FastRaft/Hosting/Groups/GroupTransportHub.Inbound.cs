using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Hosting.Groups;

// Inbound: the process transport's sink. Called on the hub's thread (polled transports) or on a
// transport's own threads (threaded ones), so everything here is thread-safe and keeps its state
// in locals; group sinks queue what they are given for their own runner threads.
internal sealed partial class GroupTransportHub
{
    /// <summary>
    /// Routes a batch to its groups: whole when every message is for one group, otherwise as one
    /// slice per run of messages of the same group, each sharing the batch's memory (no copy; the
    /// batch goes back to its pool once every slice is released). Group 0 is the control channel.
    /// Returns false when a snapshot in it was not taken (so an in-process transport reports it
    /// failed); other drops are counted.
    /// </summary>
    public bool Deliver(InboundBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ReadOnlySpan<Message> messages = batch.Messages;
        if (messages.IsEmpty)
        {
            batch.Release();
            return true;
        }
        NoteHeard(messages);
        ulong group = messages[0].GroupId;
        bool oneGroup = group != 0;
        for (int i = 1; i < messages.Length && oneGroup; i++)
        {
            oneGroup = messages[i].GroupId == group;
        }
        if (oneGroup)
        {
            return DeliverWhole(group, batch);
        }
        bool snapshotsTaken = Route(batch);
        batch.Release();
        return snapshotsTaken;
    }

    /// <summary>Batches waiting in the pool the hub makes inbound slices and fanned-out heartbeats from (tests: all came back).</summary>
    internal int FreeInboundBatches => _inboundPool.FreeCount;

    public void ReportUnreachable(ulong nodeId)
    {
        foreach (GroupTransportView view in _viewList)
        {
            if (Array.BinarySearch(view.Members, nodeId) >= 0)
            {
                view.Sink?.ReportUnreachable(nodeId);
            }
        }
    }

    public void ReportSnapshot(ulong nodeId, SnapshotStatus status)
    {
        ulong[]? groups;
        lock (_snapshotGate)
        {
            if (!_snapshotSenders.Remove(nodeId, out List<ulong>? senders))
            {
                return;
            }
            groups = [.. senders];
        }
        foreach (ulong group in groups)
        {
            if (TryFind(group, out GroupTransportView? view))
            {
                view.Sink?.ReportSnapshot(nodeId, status);
            }
        }
    }

    /// <summary>Remembers that <paramref name="group"/> sent a snapshot to <paramref name="node"/> (hub thread; snapshots are rare).</summary>
    private void NoteSnapshotSent(ulong node, ulong group)
    {
        lock (_snapshotGate)
        {
            if (!_snapshotSenders.TryGetValue(node, out List<ulong>? senders))
            {
                senders = [];
                _snapshotSenders.Add(node, senders);
            }
            if (!senders.Contains(group))
            {
                senders.Add(group);
            }
        }
    }

    private bool DeliverWhole(ulong group, InboundBatch batch)
    {
        int count = batch.Count;
        bool hasSnapshot = HasSnapshot(batch.Messages);
        if (TryFind(group, out GroupTransportView? view) && view.Sink is { } sink)
        {
            Interlocked.Add(ref _counters.MessagesRouted, count);
            return sink.Deliver(batch) || !hasSnapshot;
        }
        Interlocked.Add(ref _counters.UnknownGroupDrops, count);
        batch.Release();
        return !hasSnapshot;
    }

    /// <summary>Hands each run of one group's messages in <paramref name="batch"/> to its group as a slice; handles control messages in place.</summary>
    private bool Route(InboundBatch batch)
    {
        ReadOnlySpan<Message> messages = batch.Messages;
        bool snapshotsTaken = true;
        int i = 0;
        while (i < messages.Length)
        {
            ulong group = messages[i].GroupId;
            if (group == 0)
            {
                HandleControl(in messages[i]);
                i++;
                continue;
            }
            int start = i;
            bool hasSnapshot = false;
            for (; i < messages.Length && messages[i].GroupId == group; i++)
            {
                hasSnapshot |= messages[i].Type == MessageType.Snapshot;
            }
            snapshotsTaken &= HandSlice(group, batch, start, i - start, hasSnapshot);
        }
        return snapshotsTaken;
    }

    /// <summary>Hands messages <paramref name="start"/> to <paramref name="start"/>+<paramref name="count"/> of <paramref name="batch"/> to their group; false if they held a snapshot the group did not take.</summary>
    private bool HandSlice(ulong group, InboundBatch batch, int start, int count, bool hasSnapshot)
    {
        if (!TryFind(group, out GroupTransportView? view) || view.Sink is not { } sink)
        {
            Interlocked.Add(ref _counters.UnknownGroupDrops, count);
            return !hasSnapshot;
        }
        InboundBatch slice = _inboundPool.Rent();
        slice.ShareRange(batch, start, count);
        Interlocked.Add(ref _counters.MessagesRouted, count);
        return sink.Deliver(slice) || !hasSnapshot;
    }

    private static bool HasSnapshot(ReadOnlySpan<Message> messages)
    {
        foreach (ref readonly Message m in messages)
        {
            if (m.Type == MessageType.Snapshot)
            {
                return true;
            }
        }
        return false;
    }
}
