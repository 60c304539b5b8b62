using System.Net;
using System.Net.Sockets;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Transport.Tcp.Security;

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
/// backoff (at once when the peer closes the connection). Received messages are delivered from
/// the connection's receive task (the threaded transport mode). Bad input — garbage, an oversized
/// or unauthentic frame, a wrong key or certificate, a handshake or frame that does not complete
/// in time, a connection flood, a peer that ends its stream — closes that connection, counted
/// per <see cref="TcpRefusalReason"/> and logged once through <see cref="TcpTransportOptions.Logger"/>.
/// </summary>
/// <remarks>
/// Not yet: snapshots streamed in pieces (a snapshot travels as one frame up to
/// <see cref="TcpTransportOptions.MaxMessageBytes"/>), the polled mode.
/// </remarks>
public sealed partial class TcpTransport : ITransport
{
    /// <summary>The System.Diagnostics.Metrics meter name every TCP transport publishes under.</summary>
    public const string MeterName = TcpTransportMetrics.MeterName;

    private readonly TcpTransportOptions _options;
    private readonly TcpTransportMetrics _metrics;
    private readonly ConnectionSecurity _security;
    private readonly Dictionary<ulong, OutboundPeer> _peers = [];
    private readonly HashSet<ulong> _members;
    private readonly InboundBatchPool _pool = new(maxPooled: 256, initialBytes: 16 * 1024);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<OutboundPeer> _toFlush = [];
    private Socket? _listener;
    private ITransportSink? _sink;
    private int _inbound;
    private bool _disposed;

    public TcpTransport(TcpTransportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _members = [.. options.Peers.Keys];
        _metrics = new TcpTransportMetrics(Counters, options.LocalId);
        _security = ConnectionSecurity.For(options, _members);
        foreach ((ulong id, IPEndPoint endPoint) in options.Peers)
        {
            _peers[id] = new OutboundPeer(this, id, endPoint);
        }
    }

    public ulong LocalId => _options.LocalId;

    /// <summary>
    /// Whether connections are authenticated (by TLS or the cluster key); false only when built
    /// with <see cref="TcpTransportOptions.InsecureNoAuthentication"/>.
    /// </summary>
    public bool IsAuthenticated => _security.IsAuthenticated;

    public TcpTransportCounters Counters { get; } = new();

    /// <summary>The address the listener is bound to (its port when the options asked for port 0).</summary>
    public IPEndPoint? LocalEndPoint => _listener?.LocalEndPoint as IPEndPoint;

    public int MaxWholeMessageSize => _options.MaxMessageBytes;

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
    }

    public void Send(in Message message)
    {
        ITransportSink sink = _sink ?? throw new InvalidOperationException("the transport is not started");
        if (!_peers.TryGetValue(message.To, out OutboundPeer? peer))
        {
            Interlocked.Increment(ref Counters.MessagesDroppedField);
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
        if (message.Type == MessageType.MsgSnap)
        {
            sink.ReportSnapshot(message.To, SnapshotStatus.SnapshotFailure);
        }
    }

    public void Flush()
    {
        for (int i = 0; i < _toFlush.Count; i++)
        {
            _toFlush[i].PendingFlush = false;
            _toFlush[i].Flush();
        }
        _toFlush.Clear();
    }

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
    }

    private TimeSpan Backoff(int failures)
    {
        double ms = _options.MinReconnectDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 16));
        return TimeSpan.FromMilliseconds(Math.Min(ms, _options.MaxReconnectDelay.TotalMilliseconds));
    }
}
