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
/// each with one command in flight, and follows the leader: a NotLeader answer redirects to the
/// hinted node, silence past <see cref="OrderClientOptions.AttemptTimeout"/> moves on to the next
/// node, and a command is resent (same client id and sequence number) until it is acknowledged,
/// so a leader change loses no order and duplicates none. Runs on the calling thread.
/// </summary>
public sealed class OrderClient : IDisposable
{
    private readonly OrderClientOptions _options;
    private readonly Socket _socket;
    private readonly ulong[] _nodeIds;
    private readonly Dictionary<ulong, SocketAddress> _addresses = [];
    private readonly ClientSession[] _sessions;
    private readonly ArrayBufferWriter<byte> _encoder = new(256);
    private readonly ArrayBufferWriter<byte> _commandEncoder = new(CommandCodec.MaxEncodedSize);
    private readonly byte[] _receiveBuffer = new byte[ClientProtocol.MaxDatagramSize];
    private readonly SocketAddress _from;
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
        AddressFamily family = options.Nodes[_nodeIds[0]].AddressFamily;
        bool loopback = options.Nodes.Values.All(e => IPAddress.IsLoopback(e.Address));
        bool v6 = family == AddressFamily.InterNetworkV6;
        // Loopback clusters are answered on loopback; others from any interface.
        IPAddress bind = loopback ? (v6 ? IPAddress.IPv6Loopback : IPAddress.Loopback) : (v6 ? IPAddress.IPv6Any : IPAddress.Any);
        _socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(bind, 0));
        _from = new SocketAddress(family);
        foreach ((ulong id, IPEndPoint endPoint) in options.Nodes)
        {
            _addresses[id] = endPoint.Serialize();
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
            if (!_flowing && (inFlight == 0 || now >= drainEnd))
            {
                return inFlight == 0;
            }
            Receive(1000);
        }
    }

    public void Dispose() => _socket.Dispose();

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
        s.Datagram = _encoder.WrittenSpan.ToArray();
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
        try
        {
            _socket.SendTo(s.Datagram, SocketFlags.None, _addresses[target]);
        }
        catch (SocketException)
        {
            // Treated like a lost datagram: the attempt timeout resends.
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

    private void Receive(int waitMicros)
    {
        try
        {
            if (!_socket.Poll(waitMicros, SelectMode.SelectRead))
            {
                return;
            }
            while (_socket.Available > 0)
            {
                int n = _socket.ReceiveFrom(_receiveBuffer, SocketFlags.None, _from);
                Handle(_receiveBuffer.AsMemory(0, n));
            }
        }
        catch (SocketException)
        {
            // An error reported for an earlier send: the attempt timeout covers it.
        }
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
