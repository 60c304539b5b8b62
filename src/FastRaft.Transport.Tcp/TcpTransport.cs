using System.Net;
using System.Net.Sockets;
using FastRaft.Core;
using FastRaft.Core.Logging;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Transport.Tcp.Polling;
using FastRaft.Transport.Tcp.Security;
using FastRaft.Transport.Tcp.Snapshots;

namespace FastRaft.Transport.Tcp;

/// <summary>
/// Raft messages over TCP: this node dials one connection to each peer for what it sends and
/// accepts one from each peer for what it receives. Every connection is authenticated unless
/// <see cref="TcpTransportOptions.InsecureNoAuthentication"/> says otherwise: with
/// <see cref="TcpTransportOptions.Tls"/> by mutual TLS (SslStream under the pipes, certificates
/// checked on both sides, then the node ids exchanged inside TLS); with
/// <see cref="TcpTransportOptions.ClusterKey"/> by the key handshake and a MAC per frame
/// (<see cref="AuthenticatedFrameChannel"/>). The node thread only buffers and flushes (never
/// waits on the network); a peer without a connection, or whose send pipe stays full, gets its
/// messages dropped (counted) and is reported unreachable, and is redialled with exponential
/// backoff (at once when the peer closes the connection). Received messages are read by the node
/// thread itself in <see cref="Poll"/> (the default polled mode: no thread hops on the way in),
/// or with <see cref="TcpTransportOptions.ReceiveTasks"/> (and always under TLS) by each
/// connection's receive task. Snapshots travel in 64 KiB pieces over a connection of their own
/// per transfer (<see cref="Snapshots.SnapshotTransferFormat"/>), so a multi-megabyte snapshot
/// neither holds up heartbeats nor sits in one send buffer, and is reported finished only once
/// the peer answers that it arrived whole. The peers follow the node's configuration
/// (<see cref="OnConfigurationChanged"/>). Bad input — garbage, an oversized
/// or unauthentic frame, a wrong key or certificate, a handshake or frame that does not complete
/// in time, a connection flood, a peer that ends its stream — closes that connection, counted
/// per <see cref="TcpRefusalReason"/> and logged once through <see cref="TcpTransportOptions.Logger"/>.
/// </summary>
public sealed partial class TcpTransport : ITransport
{
    /// <summary>The System.Diagnostics.Metrics meter name every TCP transport publishes under.</summary>
    public const string MeterName = TcpTransportMetrics.MeterName;

    private readonly TcpTransportOptions _options;
    private readonly TcpTransportMetrics _metrics;

    // Null when no logger was given: refusals are then only counted.
    private readonly RaftLogger? _log;
    private readonly ConnectionSecurity _security;
    private readonly Dictionary<ulong, OutboundPeer> _peers = [];
    private readonly LiveMemberSet _accepted;
    private readonly InboundBatchPool _pool = new(maxPooled: 256, initialBytes: 16 * 1024);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<OutboundPeer> _toFlush = [];
    private Socket? _listener;
    private ITransportSink? _sink;
    private int _inbound;
    private bool _disposed;

    /// <summary>A transport with the given options, validated here; nothing is bound or dialled until <see cref="Start"/>.</summary>
    /// <param name="options">Node id, listen address, peers, security and limits.</param>
    /// <exception cref="ArgumentException">The options are invalid (the message names the option).</exception>
    public TcpTransport(TcpTransportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _log = options.Logger is null ? null : new RaftLogger(options.Logger);
        _accepted = new LiveMemberSet(options.Peers.Keys);
        _metrics = new TcpTransportMetrics(Counters, options.LocalId);
        _security = ConnectionSecurity.For(options, _accepted);
        _snapshotBudget = new SnapshotBudget(options.MaxSnapshotBytes);
        // TLS connections are read by their receive tasks: SslStream cannot be polled.
        _waitSource = options.ReceiveTasks || options.Tls is not null ? null : new TcpWaitSource();
        _snapshotIdleTicks = ToTimestampTicks(options.SnapshotIdleTimeout);
        _frameTimeoutTicks = ToTimestampTicks(options.FrameTimeout);
        _idleTimeoutTicks = options.IdleTimeout == Timeout.InfiniteTimeSpan ? 0 : ToTimestampTicks(options.IdleTimeout);
        _handshakeTimeoutTicks = ToTimestampTicks(options.HandshakeTimeout);
        foreach ((ulong id, IPEndPoint endPoint) in options.Peers)
        {
            _peers[id] = new OutboundPeer(this, id, endPoint);
        }
    }

    /// <inheritdoc />
    public ulong LocalId => _options.LocalId;

    /// <summary>Disposed (tests: a pump standing in for the node stops).</summary>
    internal bool IsDisposed => Volatile.Read(ref _disposed);

    /// <summary>
    /// Whether connections are authenticated (by TLS or the cluster key); false only when built
    /// with <see cref="TcpTransportOptions.InsecureNoAuthentication"/>.
    /// </summary>
    public bool IsAuthenticated => _security.IsAuthenticated;

    /// <summary>What the transport has sent, received, refused and dropped so far.</summary>
    public TcpTransportCounters Counters { get; } = new();

    /// <summary>The address the listener is bound to (its port when the options asked for port 0).</summary>
    public IPEndPoint? LocalEndPoint => _listener?.LocalEndPoint as IPEndPoint;

    /// <summary>The largest encoded message sent in one frame (<see cref="TcpTransportOptions.MaxMessageBytes"/>); the node host sizes appends by it.</summary>
    public int MaxWholeMessageSize => _options.MaxMessageBytes;

    /// <inheritdoc />
    public void Start(ITransportSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_sink is not null)
        {
            throw new InvalidOperationException("the transport is already started");
        }
        _sink = sink;
        var listener = new Socket(_options.ListenEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(_options.ListenEndPoint);
            listener.Listen(128);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new InvalidOperationException($"cannot listen on {_options.ListenEndPoint}: {e.Message}", e);
        }
        _listener = listener;
        if (!IsAuthenticated)
        {
            WarnInsecure();
        }
        StartDeadlineTimer();
        _ = AcceptLoopAsync(listener);
        // Dial every known peer now: the first messages of an election should not be the ones
        // that find no connection yet.
        foreach (OutboundPeer peer in _peers.Values)
        {
            peer.Connect();
        }
    }

    /// <inheritdoc />
    public void Send(in Message message)
    {
        ITransportSink sink = _sink ?? throw new InvalidOperationException("the transport is not started");
        if (!_peers.TryGetValue(message.To, out OutboundPeer? peer) && !TryResolveMember(message.To, out peer))
        {
            Interlocked.Increment(ref Counters.MessagesDroppedField);
            return;
        }
        if (message.Type == MessageType.Snapshot)
        {
            SendSnapshot(peer, in message, sink);
            return;
        }
        if (peer.TryWrite(in message))
        {
            Interlocked.Increment(ref Counters.MessagesSentField);
            if (!peer.PendingFlush)
            {
                peer.PendingFlush = true;
                _toFlush.Add(peer);
            }
            return;
        }
        Interlocked.Increment(ref Counters.MessagesDroppedField);
        sink.ReportUnreachable(message.To);
    }

    /// <inheritdoc />
    public void Flush()
    {
        for (int i = 0; i < _toFlush.Count; i++)
        {
            _toFlush[i].PendingFlush = false;
            _toFlush[i].Flush();
        }
        _toFlush.Clear();
    }

    /// <summary>
    /// Stops listening and dialling, closes every connection and releases buffers. Call after the
    /// node thread has stopped sending. A poll running meanwhile on the node thread (polled mode)
    /// is not disturbed: it closes the connections it runs when it returns, and later polls do nothing.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _stopping.Cancel();
        _metrics.Dispose();
        _deadlineTimer?.Dispose();
        _listener?.Dispose();
        foreach (OutboundPeer peer in _peers.Values)
        {
            peer.Close();
        }
        ClosePolledUnlessPolling();
    }

    /// <summary>A duration in timestamp units of the node's clock (<see cref="TcpTransportOptions.Time"/>).</summary>
    private long ToTimestampTicks(TimeSpan span) => (long)(span.TotalSeconds * _options.Time.TimestampFrequency);

    private TimeSpan Backoff(int failures)
    {
        double ms = _options.MinReconnectDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 16));
        return TimeSpan.FromMilliseconds(Math.Min(ms, _options.MaxReconnectDelay.TotalMilliseconds));
    }
}
