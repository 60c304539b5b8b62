using System.Collections.Concurrent;
using FastRaft.Protocol;

namespace FastRaft.Hosting.Groups;

// Node liveness: a ping to every peer node each LivenessInterval, and any message from a node
// counts as hearing from it.
internal sealed partial class GroupTransportHub : INodeLiveness
{
    private readonly ConcurrentDictionary<ulong, PeerClock> _liveness = new();
    private readonly long _livenessInterval;
    private readonly long _livenessTimeout;
    private PeerClock[] _pinged = [];
    private long _nextPing;

    /// <summary>When the next liveness pings are due.</summary>
    public long Deadline => _nextPing;

    /// <summary>
    /// Whether <paramref name="nodeId"/> was heard from within the liveness timeout (any thread).
    /// This node is always live; a node no group has as a member is not. A peer counts as heard
    /// from when it became a member, so a process that just started does not see every peer dead.
    /// </summary>
    public bool IsLive(ulong nodeId)
    {
        if (nodeId == LocalId)
        {
            return true;
        }
        if (!_liveness.TryGetValue(nodeId, out PeerClock? clock))
        {
            return false;
        }
        long now = Time.GetTimestamp();
        return now - Volatile.Read(ref clock.LastHeard) <= _livenessTimeout;
    }

    private void NoteHeard(ReadOnlySpan<Message> messages)
    {
        ulong last = 0;
        long now = 0;
        foreach (ref readonly Message m in messages)
        {
            if (m.From == last)
            {
                continue;
            }
            last = m.From;
            if (_liveness.TryGetValue(m.From, out PeerClock? clock))
            {
                if (now == 0)
                {
                    now = Time.GetTimestamp();
                }
                Volatile.Write(ref clock.LastHeard, now);
            }
        }
    }

    /// <summary>The peers to ping are the members of every group but this node (hub thread).</summary>
    private void UpdateLivenessPeers(ulong[] members, long now)
    {
        var pinged = new List<PeerClock>(members.Length);
        foreach (ulong id in members)
        {
            if (id != LocalId)
            {
                pinged.Add(_liveness.GetOrAdd(id, static (peer, heard) => new PeerClock(peer, heard), now));
            }
        }
        _pinged = [.. pinged];
    }

    /// <summary>Sends a ping to every peer node and schedules the next round (hub thread); returns messages sent.</summary>
    private int SendPings(long now)
    {
        foreach (PeerClock peer in _pinged)
        {
            var ping = new Message(MessageType.Heartbeat, LocalId, peer.Id, 0) { Context = ControlFormat.Ping };
            _transport.Send(in ping);
        }
        _counters.LivenessPings += _pinged.Length;
        _nextPing = now + _livenessInterval;
        return _pinged.Length;
    }

    private sealed class PeerClock(ulong id, long heard)
    {
        public ulong Id { get; } = id;

        public long LastHeard = heard;
    }
}
