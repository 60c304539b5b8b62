using System.Collections.Concurrent;
using System.Net.Sockets;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Protocol;
using FastRaft.Transport.Tcp.Polling;
using FastRaft.Transport.Tcp.Security;
using FastRaft.Transport.Tcp.Snapshots;

namespace FastRaft.Transport.Tcp;

public sealed partial class TcpTransport
{
    /// <summary>Bytes one poll reads from one connection at most, so one busy peer cannot starve the others or the node.</summary>
    private const int MaxBytesPerConnectionPoll = 256 * 1024;

    /// <summary>The node thread's wait source in polled mode; null with receive tasks (and under TLS).</summary>
    private readonly TcpWaitSource? _waitSource;

    /// <summary>Accepted sockets waiting for the node thread to take them (polled mode).</summary>
    private readonly ConcurrentQueue<Socket> _acceptedSockets = new();

    /// <summary>Accepted connections the node thread runs (node thread only).</summary>
    private readonly List<PolledConnection> _polled = [];

    // Who may touch the polled connections: a poll in progress, nobody, or nobody ever again
    // (disposed). Dispose may come from any thread; whoever sees the other leave closes them.
    private const int PollIdle = 0;
    private const int Polling = 1;
    private const int PollClosed = 2;
    private int _pollState;

    private readonly EntryBuffer _pollEntries = new(64);

    // Timeouts in timestamp units of the node's clock.
    private readonly long _snapshotIdleTicks;
    private readonly long _frameTimeoutTicks;
    private readonly long _idleTimeoutTicks;
    private readonly long _handshakeTimeoutTicks;

    /// <summary>
    /// Polled mode (the default without TLS): what the node thread waits on when idle — its
    /// accepted connections' sockets, or a wake from another thread. Null with
    /// <see cref="TcpTransportOptions.ReceiveTasks"/> or <see cref="TcpTransportOptions.Tls"/>.
    /// </summary>
    public IWaitSource? WaitSource => _waitSource;

    /// <summary>
    /// Polled mode (node thread only): takes the connections accepted meanwhile, then for each
    /// accepted connection reads what arrived without blocking — running its handshake, or cutting
    /// frames in place and handing their messages to the sink on this thread (the node steps them
    /// at once) — sends what it has to answer, and enforces its deadlines (handshake, a frame that
    /// does not complete, idleness when enabled, a stalled snapshot transfer). Connections that end
    /// or misbehave are closed, counted and logged. Returns the messages delivered (0: nothing
    /// arrived). Dialling, outbound handshakes and snapshot sending stay on background tasks: they
    /// are rare and may wait. With receive tasks it does nothing and returns 0.
    /// </summary>
    public int Poll(long now)
    {
        if (_waitSource is null || _sink is not ITransportSink sink || _disposed)
        {
            return 0;
        }
        if (Interlocked.CompareExchange(ref _pollState, Polling, PollIdle) != PollIdle)
        {
            // Disposed meanwhile (or polled from two threads at once, which the contract rules out).
            return 0;
        }
        try
        {
            return PollConnections(sink, now);
        }
        finally
        {
            if (Interlocked.CompareExchange(ref _pollState, PollIdle, Polling) != Polling)
            {
                // Disposed from another thread during this poll: closing the connections is this thread's job.
                ClosePolled();
            }
        }
    }

    private int PollConnections(ITransportSink sink, long now)
    {
        bool changed = false;
        while (_acceptedSockets.TryDequeue(out Socket? socket))
        {
            _polled.Add(StartPolled(socket, now));
            changed = true;
        }
        int work = 0;
        for (int i = _polled.Count - 1; i >= 0; i--)
        {
            PolledConnection c = _polled[i];
            Refusal refusal = c.IsOpen ? PollOpen(c, sink, now, ref work) : PollHandshake(c, now);
            if (!refusal.IsRefused && !c.SendPending())
            {
                refusal = new(TcpRefusalReason.PeerClosed, "the connection failed while this node answered on it");
            }
            if (refusal.IsRefused)
            {
                _polled[i] = _polled[^1];
                _polled.RemoveAt(_polled.Count - 1);
                ClosePolled(c, refusal);
                changed = true;
            }
        }
        if (changed)
        {
            WatchPolledSockets();
        }
        return work;
    }

    private PolledConnection StartPolled(Socket socket, long now)
    {
        var c = new PolledConnection(socket, now);
        // Runs until it waits for the dialer's first bytes; the rest runs inside later polls.
        c.Handshake = _security.AcceptAsync(c.Connection, CancellationToken.None).AsTask();
        return c;
    }

    private Refusal PollHandshake(PolledConnection c, long now)
    {
        SocketRead read = c.ReceiveAvailable(MaxBytesPerConnectionPoll);
        Task<Refusal> handshake = c.Handshake!;
        if (handshake.IsCompleted)
        {
            Refusal refusal = handshake.IsCompletedSuccessfully
                ? handshake.Result
                : new(TcpRefusalReason.NotAHandshake, "the connection broke during the handshake");
            if (refusal.IsRefused)
            {
                return refusal;
            }
            c.Transfer = new SnapshotAssembler(_snapshotBudget, _options.MaxSnapshotBytes, c.Connection.PeerId);
            c.LastActivity = now;
            // Bytes that came with the handshake's last message are frames already.
            return c.Connection.Channel!.Reader.TryRead() ? TakePolledFrames(c, _sink!, now, out _) : Refusal.None;
        }
        if (read == SocketRead.Ended)
        {
            return new(TcpRefusalReason.NotAHandshake, "the stream ended inside the handshake");
        }
        return now - c.AcceptedAt > _handshakeTimeoutTicks
            ? new(TcpRefusalReason.HandshakeTimeout, $"the handshake did not complete within {_options.HandshakeTimeout.TotalMilliseconds} ms")
            : Refusal.None;
    }

    private Refusal PollOpen(PolledConnection c, ITransportSink sink, long now, ref int work)
    {
        SocketRead read = c.ReceiveAvailable(MaxBytesPerConnectionPoll);
        if (read != SocketRead.Nothing)
        {
            c.LastActivity = now;
            if (c.Connection.Channel!.Reader.TryRead())
            {
                Refusal refusal = TakePolledFrames(c, sink, now, out int delivered);
                work += delivered;
                if (refusal.IsRefused)
                {
                    return refusal;
                }
            }
            if (read == SocketRead.Ended)
            {
                return EndOfStream(c.PartialFrameBytes);
            }
        }
        // Checked whether or not bytes came: a frame trickled a byte at a time must still time out.
        return CheckPolledDeadlines(c, now);
    }

    private Refusal TakePolledFrames(PolledConnection c, ITransportSink sink, long now, out int delivered)
    {
        AuthenticatedFrameChannel channel = c.Connection.Channel!;
        bool forgedLogged = c.ForgedLogged;
        Refusal refusal = TakeFrames(channel, c.Connection, c.Transfer!, _pollEntries, sink, ref forgedLogged, out delivered, out bool framesRead, out long leftover);
        c.ForgedLogged = forgedLogged;
        c.PartialFrameBytes = leftover;
        // A frame's clock starts with its first bytes, not at each trickle of more.
        if (leftover == 0)
        {
            c.PartialFrameSince = 0;
        }
        else if (framesRead || c.PartialFrameSince == 0)
        {
            c.PartialFrameSince = now;
        }
        return refusal;
    }

    private Refusal CheckPolledDeadlines(PolledConnection c, long now)
    {
        if (c.PartialFrameSince != 0 && now - c.PartialFrameSince > _frameTimeoutTicks)
        {
            return DeadlineRefusal(TcpRefusalReason.SlowSender);
        }
        if (_idleTimeoutTicks > 0 && now - c.LastActivity > _idleTimeoutTicks)
        {
            return DeadlineRefusal(TcpRefusalReason.Idle);
        }
        if (c.Transfer!.InProgress && now - c.LastActivity > _snapshotIdleTicks)
        {
            return DeadlineRefusal(TcpRefusalReason.SnapshotRefused);
        }
        return Refusal.None;
    }

    private void ClosePolled(PolledConnection c, Refusal refusal)
    {
        if (c.Transfer is { InProgress: true })
        {
            Interlocked.Increment(ref Counters.SnapshotsRefusedField);
        }
        Refuse(c.Connection, refusal);
        Interlocked.Decrement(ref _inbound);
        c.Dispose();
    }

    private void WatchPolledSockets()
    {
        List<Socket> watched = _waitSource!.Watched;
        watched.Clear();
        for (int i = 0; i < _polled.Count; i++)
        {
            watched.Add(_polled[i].Socket);
        }
    }

    /// <summary>Closes the accepted sockets no poll has taken yet (any thread; each is taken once).</summary>
    private void DisposeAcceptedSockets()
    {
        while (_acceptedSockets.TryDequeue(out Socket? socket))
        {
            socket.Dispose();
        }
    }

    /// <summary>On dispose: closes the polled connections now, or leaves it to the poll in progress on another thread.</summary>
    private void ClosePolledUnlessPolling()
    {
        if (Interlocked.Exchange(ref _pollState, PollClosed) != Polling)
        {
            ClosePolled();
        }
    }

    /// <summary>Closes what the node thread was running (on dispose; never during a poll).</summary>
    private void ClosePolled()
    {
        DisposeAcceptedSockets();
        foreach (PolledConnection c in _polled)
        {
            c.Dispose();
        }
        _polled.Clear();
        _waitSource?.Dispose();
    }
}
