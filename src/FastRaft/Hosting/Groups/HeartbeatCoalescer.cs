using FastRaft.Protocol;

namespace FastRaft.Hosting.Groups;

/// <summary>
/// Gathers, during one hub cycle, the plain heartbeats and heartbeat responses the groups send to
/// each peer node, and sends them as one control message per node and type (hub thread only).
/// One alone is sent as it was; a control message is cut when it reaches the transport's whole
/// message bound. Buffers are kept per peer: nothing is allocated once every peer was seen.
/// </summary>
internal sealed class HeartbeatCoalescer
{
    /// <summary>Room left in a control message for everything but its tuples (message fields, header).</summary>
    private const int MessageOverhead = 64;

    /// <summary>Tuples per control message when the transport has no bound on a whole message.</summary>
    private const int UnboundedMaxTuples = 4096;

    private readonly Dictionary<ulong, Peer> _peers = [];
    private readonly List<Peer> _active = [];
    private readonly int _maxTuples;

    public HeartbeatCoalescer(int maxWholeMessageSize)
    {
        _maxTuples = maxWholeMessageSize <= 0
            ? UnboundedMaxTuples
            : Math.Max(2, (maxWholeMessageSize - MessageOverhead) / ControlFormat.MaxTupleSize);
    }

    /// <summary>
    /// A heartbeat (or response) whose every field but the type, ends, term, commit and group is
    /// empty, so a tuple carries it exactly.
    /// </summary>
    public static bool IsCoalescable(in Message m) =>
        m.Type is MessageType.Heartbeat or MessageType.HeartbeatResponse
        && m.GroupId != 0 && m.Term != 0 && m.Context.IsEmpty
        && m.LogTerm == 0 && m.Index == 0 && m.Vote == 0 && !m.Reject && m.RejectHint == 0
        && m.Entries.IsEmpty && m.Snapshot is null;

    /// <summary>Keeps <paramref name="m"/> for its peer's control message; sends one early when it is full. Returns messages sent.</summary>
    public int Add(ITransport transport, ulong localId, in Message m, HubCounters counters)
    {
        if (!_peers.TryGetValue(m.To, out Peer? peer))
        {
            peer = new Peer(m.To, _maxTuples);
            _peers.Add(m.To, peer);
        }
        if (!peer.Active)
        {
            peer.Active = true;
            _active.Add(peer);
        }
        Tuples tuples = m.Type == MessageType.Heartbeat ? peer.Heartbeats : peer.Responses;
        tuples.Append(m.GroupId, m.Term, m.Commit);
        return tuples.Count == _maxTuples ? Emit(transport, localId, peer.Id, tuples, counters) : 0;
    }

    /// <summary>Sends what every peer has gathered this cycle; returns messages sent.</summary>
    public int SendAll(ITransport transport, ulong localId, HubCounters counters)
    {
        int sent = 0;
        foreach (Peer peer in _active)
        {
            sent += Emit(transport, localId, peer.Id, peer.Heartbeats, counters);
            sent += Emit(transport, localId, peer.Id, peer.Responses, counters);
            peer.Active = false;
        }
        _active.Clear();
        return sent;
    }

    private static int Emit(ITransport transport, ulong localId, ulong to, Tuples tuples, HubCounters counters)
    {
        if (tuples.Count == 0)
        {
            return 0;
        }
        Message m;
        if (tuples.Count == 1)
        {
            m = new Message(tuples.Type, localId, to, tuples.FirstTerm) { Commit = tuples.FirstCommit, GroupId = tuples.FirstGroup };
        }
        else
        {
            m = new Message(tuples.Type, localId, to, 0) { Context = tuples.Payload };
            counters.CoalescedHeartbeats += tuples.Count;
            counters.HeartbeatControlMessages++;
        }
        transport.Send(in m);
        tuples.Reset();
        return 1;
    }

    private sealed class Peer(ulong id, int maxTuples)
    {
        public ulong Id { get; } = id;

        public bool Active;

        public Tuples Heartbeats { get; } = new(MessageType.Heartbeat, maxTuples);

        public Tuples Responses { get; } = new(MessageType.HeartbeatResponse, maxTuples);
    }

    /// <summary>One control message being built: its payload (header, then tuples) and the first tuple (sent alone when it stays alone).</summary>
    private sealed class Tuples
    {
        private readonly byte[] _payload;
        private int _length;

        public Tuples(MessageType type, int maxTuples)
        {
            Type = type;
            _payload = new byte[ControlFormat.HeaderSize + maxTuples * ControlFormat.MaxTupleSize];
            _payload[ControlFormat.VersionOffset] = ControlFormat.Version;
            _payload[ControlFormat.KindOffset] = ControlFormat.KindOf(type);
            _length = ControlFormat.HeaderSize;
        }

        public MessageType Type { get; }

        public int Count { get; private set; }

        public ulong FirstGroup { get; private set; }

        public ulong FirstTerm { get; private set; }

        public ulong FirstCommit { get; private set; }

        /// <summary>The control payload: valid until the next <see cref="Reset"/> (the transport copies it in Send).</summary>
        public ReadOnlyMemory<byte> Payload => _payload.AsMemory(0, _length);

        public void Append(ulong group, ulong term, ulong commit)
        {
            if (Count == 0)
            {
                (FirstGroup, FirstTerm, FirstCommit) = (group, term, commit);
            }
            Span<byte> rest = _payload.AsSpan(_length);
            int n = ControlFormat.WriteVarint(rest, group);
            n += ControlFormat.WriteVarint(rest[n..], term);
            n += ControlFormat.WriteVarint(rest[n..], commit);
            _length += n;
            Count++;
        }

        public void Reset()
        {
            _length = ControlFormat.HeaderSize;
            Count = 0;
        }
    }
}
