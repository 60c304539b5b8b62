using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastRaft.Sample.Matching;
using FastRaft.Sample.Protocol;
using FastRaft.Sample.Workload;
using MessagePack;

namespace FastRaft.Sample.Client;

/// <summary>
/// Sends orders to a cluster over the <see cref="ClientProtocol"/> from many sessions at once,
/// each with one command in flight, all pipelined on one TCP connection to the node taken for the
/// leader (<see cref="ClientConnection"/>), and follows the leader: a NotLeader answer redirects
/// to the hinted node, a closed connection or silence past
/// <see cref="OrderClientOptions.AttemptTimeout"/> moves on to the next node (reconnecting), and a
/// command is resent (same client id and sequence number) until it is acknowledged, so a leader
/// change loses no order and duplicates none (the state machine answers a resend of an applied
/// command from its client record). Runs on the calling thread.
/// </summary>
public sealed class OrderClient : IDisposable
{
    private readonly OrderClientOptions _options;
    private readonly ulong[] _nodeIds;
    private readonly Dictionary<ulong, IPEndPoint> _addresses = [];
    private readonly Dictionary<ulong, ClientConnection> _connections = [];
    private readonly Dictionary<ulong, long> _unreachableUntil = [];
    private readonly List<ulong> _closed = [];
    private readonly List<KeyValuePair<ulong, ClientConnection>> _polled = [];
    private readonly ClientSession[] _sessions;
    private readonly ArrayBufferWriter<byte> _encoder = new(256);
    private readonly ArrayBufferWriter<byte> _commandEncoder = new(CommandCodec.MaxEncodedSize);
    private readonly long _attemptTimeout;
    private readonly long _retryDelay;
    private ulong _leader;
    private int _rotation;
    private long _lastTerm;
    private long _lastIndex;
    private long _lastAck;
    private bool _flowing;

    public OrderClient(OrderClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is string problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }
        _options = options;
        _nodeIds = [.. options.Nodes.Keys.Order()];
        foreach ((ulong id, IPEndPoint endPoint) in options.Nodes)
        {
            _addresses[id] = endPoint;
        }
        _sessions = new ClientSession[options.Sessions];
        for (int i = 0; i < _sessions.Length; i++)
        {
            ulong clientId = (options.RunId << 16) | (uint)(i + 1);
            _sessions[i] = new ClientSession(i, clientId, new OrderFlow(options.Instruments, options.Seed * 7919 + i));
        }
        _attemptTimeout = (long)(options.AttemptTimeout.TotalSeconds * Stopwatch.Frequency);
        _retryDelay = (long)(options.RetryDelay.TotalSeconds * Stopwatch.Frequency);
    }

    public ClientStatistics Statistics { get; } = new();

    public LatencyStats Latency { get; } = new();

    /// <summary>The node this client takes for the leader (0: none known).</summary>
    public ulong Leader => Volatile.Read(ref _leader);

    /// <summary>The term of the latest acknowledgement.</summary>
    public ulong LastTerm => (ulong)Interlocked.Read(ref _lastTerm);

    /// <summary>The highest log index acknowledged so far (a lower bound of the commit index).</summary>
    public ulong LastIndex => (ulong)Interlocked.Read(ref _lastIndex);

    /// <summary>The client ids of this client's sessions.</summary>
    public IReadOnlyList<ulong> ClientIds => [.. _sessions.Select(s => s.ClientId)];

    /// <summary>Each session's outcome (read after <see cref="Run"/> returns).</summary>
    public IReadOnlyList<SessionOutcome> Outcomes =>
        [.. _sessions.Select(s => new SessionOutcome(s.ClientId, s.Acked, s.LastAckedSequence, s.InFlight))];

    /// <summary>
    /// Sends orders for <paramref name="duration"/> (or until <paramref name="stop"/>), then resends
    /// whatever is unanswered for up to the drain timeout. Returns true when every command was answered.
    /// </summary>
    public bool Run(TimeSpan duration, CancellationToken stop = default)
    {
        long start = Stopwatch.GetTimestamp();
        long end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long drainEnd = long.MaxValue;
        _lastAck = start;
        _flowing = true;
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (_flowing && (now >= end || stop.IsCancellationRequested))
            {
                _flowing = false;
                drainEnd = now + (long)(_options.DrainTimeout.TotalSeconds * Stopwatch.Frequency);
            }
            int inFlight = 0;
            foreach (ClientSession s in _sessions)
            {
                if (!s.InFlight && _flowing)
                {
                    StartNext(s, now);
                }
                if (s.InFlight)
                {
                    inFlight++;
                    ResendIfDue(s, now);
                }
            }
            FlushAll();
            if (!_flowing && (inFlight == 0 || now >= drainEnd))
            {
                return inFlight == 0;
            }
            Receive(1000);
        }
    }

    /// <summary>Connections currently open (one per node the sessions talk to; normally just the leader's).</summary>
    public int OpenConnections => _connections.Count;

    public void Dispose()
    {
        foreach (ClientConnection c in _connections.Values)
        {
            c.Dispose();
        }
        _connections.Clear();
    }

    private void StartNext(ClientSession s, long now)
    {
        s.Sequence++;
        s.Command = s.Flow.Next(s.ClientId, s.Sequence);
        // The request id names the session and the sequence number, so any answer finds its command.
        s.RequestId = ((ulong)(uint)(s.Index + 1) << 40) | s.Sequence;
        _commandEncoder.ResetWrittenCount();
        CommandCodec.Encode(s.Command, _commandEncoder);
        _encoder.ResetWrittenCount();
        ClientProtocol.WriteSubmit(_encoder, s.RequestId, _commandEncoder.WrittenSpan);
        s.Request = _encoder.WrittenSpan.ToArray();
        s.InFlight = true;
        s.FirstSent = now;
        Send(s, PickTarget(), now);
    }

    private void ResendIfDue(ClientSession s, long now)
    {
        if (s.RetryAt != 0)
        {
            if (now >= s.RetryAt)
            {
                Send(s, PickTarget(), now);
            }
            return;
        }
        if (now - s.LastSent < _attemptTimeout)
        {
            return;
        }
        Interlocked.Increment(ref Statistics.TimeoutCount);
        // The silent node may be dead: stop taking it for the leader.
        if (Volatile.Read(ref _leader) == s.Target)
        {
            Volatile.Write(ref _leader, NextAfter(s.Target));
        }
        Send(s, PickTarget(), now);
    }

    private void Send(ClientSession s, ulong target, long now)
    {
        s.Target = target;
        s.LastSent = now;
        s.RetryAt = 0;
        if (Connection(target, now) is ClientConnection c)
        {
            c.Queue(s.Request);
            return;
        }
        // Unreachable: try the next node shortly.
        if (Volatile.Read(ref _leader) == target)
        {
            Volatile.Write(ref _leader, NextAfter(target));
        }
        s.RetryAt = now + _retryDelay;
    }

    /// <summary>The open connection to <paramref name="node"/>, connecting when there is none (null when it cannot be reached now).</summary>
    private ClientConnection? Connection(ulong node, long now)
    {
        if (_connections.TryGetValue(node, out ClientConnection? open))
        {
            return open;
        }
        if (_unreachableUntil.TryGetValue(node, out long until) && now < until)
        {
            return null;
        }
        ClientConnection? c = ClientConnection.TryConnect(_addresses[node], _options.AttemptTimeout);
        if (c is null)
        {
            Interlocked.Increment(ref Statistics.ConnectFailureCount);
            _unreachableUntil[node] = Stopwatch.GetTimestamp() + _retryDelay;
            return null;
        }
        Interlocked.Increment(ref Statistics.ConnectCount);
        _connections[node] = c;
        return c;
    }

    private void FlushAll()
    {
        foreach ((ulong node, ClientConnection c) in _connections)
        {
            if (c.PendingBytes > 0 && !c.Flush())
            {
                _closed.Add(node);
            }
        }
        DropClosed();
    }

    /// <summary>
    /// Forgets connections found closed and resends at once, to the next node, every command that
    /// was waiting on one: its answer cannot come any more (it may have been applied: the resend
    /// is then answered from the client record, not applied again).
    /// </summary>
    private void DropClosed()
    {
        if (_closed.Count == 0)
        {
            return;
        }
        long now = Stopwatch.GetTimestamp();
        foreach (ulong node in _closed)
        {
            if (_connections.Remove(node, out ClientConnection? c))
            {
                c.Dispose();
                Interlocked.Increment(ref Statistics.DisconnectCount);
            }
            if (Volatile.Read(ref _leader) == node)
            {
                Volatile.Write(ref _leader, NextAfter(node));
            }
        }
        foreach (ClientSession s in _sessions)
        {
            if (s.InFlight && s.RetryAt == 0 && _closed.Contains(s.Target))
            {
                Send(s, PickTarget(), now);
            }
        }
        _closed.Clear();
        foreach ((ulong node, ClientConnection c) in _connections)
        {
            if (c.PendingBytes > 0 && !c.Flush())
            {
                _closed.Add(node);
            }
        }
        if (_closed.Count > 0)
        {
            DropClosed();
        }
    }

    private ulong PickTarget()
    {
        ulong leader = Volatile.Read(ref _leader);
        return leader != 0 && _addresses.ContainsKey(leader) ? leader : _nodeIds[_rotation++ % _nodeIds.Length];
    }

    private ulong NextAfter(ulong node)
    {
        int i = Array.IndexOf(_nodeIds, node);
        return _nodeIds[(i + 1) % _nodeIds.Length];
    }

    /// <summary>Takes every reply that has arrived, waiting up to <paramref name="waitMicros"/> on the leader's connection when none has.</summary>
    private void Receive(int waitMicros)
    {
        if (_connections.Count == 0)
        {
            Thread.Sleep(1);
            return;
        }
        ulong leader = Volatile.Read(ref _leader);
        ClientConnection? waitOn = leader != 0 && _connections.TryGetValue(leader, out ClientConnection? l) ? l : null;
        bool any = false;
        foreach (ClientConnection c in _connections.Values)
        {
            any |= c.Poll(0);
        }
        if (!any)
        {
            if (waitOn is not null)
            {
                waitOn.Poll(waitMicros);
            }
            else
            {
                Thread.Sleep(1);
            }
        }
        // Handling a reply may open a connection (a redirect): walk a copy.
        _polled.Clear();
        _polled.AddRange(_connections);
        foreach ((ulong node, ClientConnection c) in _polled)
        {
            while (c.TryReceive(0, out ReadOnlyMemory<byte> reply))
            {
                Handle(reply);
            }
            if (c.IsClosed)
            {
                _closed.Add(node);
            }
        }
        DropClosed();
    }

    private void Handle(ReadOnlyMemory<byte> datagram)
    {
        SubmitReply reply;
        try
        {
            var reader = new MessagePackReader(datagram);
            if (!ClientProtocol.TryReadReplyHeader(ref reader, out byte kind, out ulong requestId, out int fields)
                || kind != ClientProtocol.KindSubmit
                || !ClientProtocol.TryReadSubmitReply(ref reader, requestId, fields, out reply))
            {
                return;
            }
        }
        catch (Exception e) when (e is EndOfStreamException or MessagePackSerializationException or OverflowException)
        {
            return;
        }
        long index = (long)(reply.RequestId >> 40) - 1;
        if (index < 0 || index >= _sessions.Length)
        {
            return;
        }
        ClientSession s = _sessions[index];
        if (!s.InFlight || s.RequestId != reply.RequestId)
        {
            // A late answer to an earlier attempt of a command already settled.
            return;
        }
        long now = Stopwatch.GetTimestamp();
        switch (reply.Status)
        {
            case SubmitStatus.Ok:
                Volatile.Write(ref _leader, reply.NodeId);
                Complete(s, reply, now);
                break;
            case SubmitStatus.NotLeader:
                Interlocked.Increment(ref Statistics.RedirectCount);
                FollowHint(s, reply, now);
                break;
            case SubmitStatus.Retry:
                Interlocked.Increment(ref Statistics.RetryCount);
                Send(s, PickTarget(), now);
                break;
            case SubmitStatus.BadRequest:
                // Not applied: the sequence number is skipped (the engine allows gaps).
                Interlocked.Increment(ref Statistics.BadRequestCount);
                s.InFlight = false;
                break;
            default:
                Interlocked.Increment(ref Statistics.UnavailableCount);
                s.RetryAt = now + _retryDelay;
                break;
        }
    }

    private void FollowHint(ClientSession s, in SubmitReply reply, long now)
    {
        ulong hint = reply.LeaderHint;
        if (hint != 0 && hint != reply.NodeId && !_addresses.ContainsKey(hint) && reply.LeaderAddress is IPEndPoint leaderAt)
        {
            // A leader this client was not told about (added at run time): its gateway is where the reply says.
            _addresses[hint] = leaderAt;
        }
        if (hint != 0 && hint != reply.NodeId && _addresses.ContainsKey(hint))
        {
            Volatile.Write(ref _leader, hint);
            Send(s, hint, now);
            return;
        }
        // No leader known yet (an election is on): try the next node shortly.
        if (Volatile.Read(ref _leader) == reply.NodeId)
        {
            Volatile.Write(ref _leader, NextAfter(reply.NodeId));
        }
        s.RetryAt = now + _retryDelay;
    }

    private void Complete(ClientSession s, in SubmitReply reply, long now)
    {
        CommandResult result = reply.Result;
        s.InFlight = false;
        s.Acked++;
        s.LastAckedSequence = s.Sequence;
        s.Flow.Observe(s.Command, result);
        Latency.Record((long)Stopwatch.GetElapsedTime(s.FirstSent, now).TotalMicroseconds);
        ClientStatistics st = Statistics;
        Interlocked.Increment(ref st.AckedCount);
        switch (result.Code)
        {
            case ResultCode.Accepted:
                Interlocked.Increment(ref st.PlacedCount);
                break;
            case ResultCode.Cancelled:
                Interlocked.Increment(ref st.CancelledCount);
                break;
            case ResultCode.Rejected when result.Reason == RejectReason.UnknownOrder:
                Interlocked.Increment(ref st.CancelMissedCount);
                break;
            case ResultCode.Rejected:
                Interlocked.Increment(ref st.RejectedCount);
                break;
        }
        if (result.Duplicate)
        {
            Interlocked.Increment(ref st.DuplicateCount);
        }
        Interlocked.Add(ref st.TradesCount, result.Trades);
        Interlocked.Add(ref st.VolumeCount, result.Filled);
        if (_flowing)
        {
            long gap = Stopwatch.GetElapsedTime(_lastAck, now).Ticks;
            if (gap > Interlocked.Read(ref st.LongestGapTicks))
            {
                Interlocked.Exchange(ref st.LongestGapTicks, gap);
            }
        }
        _lastAck = now;
        if ((long)reply.Term > Interlocked.Read(ref _lastTerm))
        {
            Interlocked.Exchange(ref _lastTerm, (long)reply.Term);
        }
        if ((long)reply.Index > Interlocked.Read(ref _lastIndex))
        {
            Interlocked.Exchange(ref _lastIndex, (long)reply.Index);
        }
    }
}
