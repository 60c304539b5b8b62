using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Hosting.Groups;

// Inbound: the process transport's sink. Called on the hub's thread (polled transports) or on a
// transport's own threads (threaded ones), so everything here is thread-safe and keeps its state
// in locals; group sinks queue what they are given for their own runner threads.
internal sealed partial class GroupTransportHub
{
    /// <summary>
    /// Routes a batch to its groups: whole when every message is for one group (no copy),
    /// otherwise copied into one batch per run of messages of the same group. Group 0 is the
    /// control channel. Returns false when a snapshot in it was not taken (so an in-process
    /// transport reports it failed); other drops are counted.
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
        bool snapshotsTaken = Route(messages);
        batch.Release();
        return snapshotsTaken;
    }

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

    private bool Route(ReadOnlySpan<Message> messages)
    {
        bool snapshotsTaken = true;
        ulong current = 0;
        GroupTransportView? view = null;
        InboundBatch? part = null;
        bool partHasSnapshot = false;
        foreach (ref readonly Message m in messages)
        {
            if (m.GroupId == 0)
            {
                HandleControl(in m);
                continue;
            }
            if (m.GroupId != current)
            {
                snapshotsTaken &= Hand(view, part, partHasSnapshot);
                part = null;
                partHasSnapshot = false;
                current = m.GroupId;
                TryFind(current, out view);
            }
            if (view is null)
            {
                Interlocked.Increment(ref _counters.UnknownGroupDrops);
                snapshotsTaken &= m.Type != MessageType.Snapshot;
                continue;
            }
            part ??= _inboundPool.Rent();
            part.AddCopy(in m);
            partHasSnapshot |= m.Type == MessageType.Snapshot;
        }
        return Hand(view, part, partHasSnapshot) && snapshotsTaken;
    }

    /// <summary>Hands one group's part of a batch to the group; false if it held a snapshot the group did not take.</summary>
    private bool Hand(GroupTransportView? view, InboundBatch? part, bool hasSnapshot)
    {
        if (part is null)
        {
            return true;
        }
        int count = part.Count;
        if (view?.Sink is { } sink)
        {
            Interlocked.Add(ref _counters.MessagesRouted, count);
            return sink.Deliver(part) || !hasSnapshot;
        }
        Interlocked.Add(ref _counters.UnknownGroupDrops, count);
        part.Release();
        return !hasSnapshot;
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
