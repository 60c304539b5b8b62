using FastRaft.Protocol;

namespace FastRaft.Hosting.Groups;

// Inbound control messages (group 0): coalesced heartbeats fanned out, liveness pings.
internal sealed partial class GroupTransportHub
{
    /// <summary>
    /// Checks a control message whole before acting on any of it; a malformed one is a counted
    /// drop. Coalesced heartbeats become ordinary heartbeats, one batch per group.
    /// </summary>
    private void HandleControl(in Message m)
    {
        if (!ControlFormat.TryReadHeader(in m, out byte kind))
        {
            Interlocked.Increment(ref _counters.ControlDrops);
            return;
        }
        if (kind == ControlFormat.PingKind)
        {
            return; // hearing from the node was the point (noted on arrival)
        }
        ReadOnlySpan<byte> payload = m.Context.Span;
        if (!ControlFormat.TuplesAreValid(payload))
        {
            Interlocked.Increment(ref _counters.ControlDrops);
            return;
        }
        MessageType type = kind == ControlFormat.HeartbeatsKind ? MessageType.Heartbeat : MessageType.HeartbeatResponse;
        int position = ControlFormat.HeaderSize;
        while (ControlFormat.TryReadTuple(payload, ref position, out ulong group, out ulong term, out ulong commit))
        {
            var heartbeat = new Message(type, m.From, m.To, term) { Commit = commit, GroupId = group };
            if (TryFind(group, out GroupTransportView? view) && view.Sink is { } sink)
            {
                InboundBatch batch = _inboundPool.Rent();
                batch.Add(in heartbeat);
                Interlocked.Increment(ref _counters.MessagesRouted);
                sink.Deliver(batch);
            }
            else
            {
                Interlocked.Increment(ref _counters.UnknownGroupDrops);
            }
        }
    }
}
