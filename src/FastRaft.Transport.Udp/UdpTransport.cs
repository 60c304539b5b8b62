using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using FastRaft.Core.Logging;
using FastRaft.Hosting;
using Microsoft.Extensions.Logging;
using FastRaft.Transport.Udp.Wire;

namespace FastRaft.Transport.Udp;

/// <summary>
/// An <see cref="ITransport"/> over one UDP socket. Messages to a peer queued between two
/// <see cref="Flush"/> calls leave batched in as few datagrams as fit
/// <see cref="UdpTransportOptions.MaxDatagramSize"/>; larger messages and every snapshot go in
/// flow-controlled chunks and are reassembled on the other side. Receiving checks (MAC, or CRC-32C
/// when explicitly run without a key; cluster, sender, replay window) and decodes into pooled
/// <see cref="InboundBatch"/>es for the sink: by default on the node thread, which calls
/// <see cref="Poll"/> each duty cycle and waits on <see cref="WaitSource"/> when idle (no thread
/// of the transport's own, no hand-off); with <see cref="UdpTransportOptions.ReceiveThread"/> on a
/// dedicated receive thread. It refuses to be built without
/// a cluster key unless <see cref="UdpTransportOptions.InsecureNoAuthentication"/> says so. In
/// steady state neither direction allocates per datagram. Malformed or unwanted datagrams are
/// dropped and counted, never thrown.
/// The datagram layout is in UDP-FORMAT.md.
/// </summary>
public sealed partial class UdpTransport : ITransport
{
    /// <summary>The System.Diagnostics.Metrics meter name every transport publishes under.</summary>
    public const string MeterName = UdpTransportMetrics.MeterName;

    private readonly UdpTransportOptions _options;
    private readonly Socket _socket;
    private readonly PeerTable _peers;
    private readonly UdpTransportCounters _counters = new();
    private readonly UdpTransportMetrics _metrics;
    private readonly DatagramOutput _output;
    private readonly TransferSender _transfers;
    private readonly DatagramAuthenticator?[] _authenticators;
    private Thread? _receiveThread;
    private bool _started;
    private volatile bool _stopping;
    private bool _disposed;

    /// <summary>Binds the socket (so <see cref="LocalEndPoint"/> is known at once); receiving begins with <see cref="Start"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid (among them: no <see cref="UdpTransportOptions.ClusterKey"/> without <see cref="UdpTransportOptions.InsecureNoAuthentication"/>).</exception>
    public UdpTransport(UdpTransportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        IsAuthenticated = options.ClusterKey is not null;
        LocalId = options.LocalId;
        ClusterId = options.ClusterId;
        _peers = new PeerTable(options.MaxDatagramSize);
        foreach (KeyValuePair<ulong, IPEndPoint> p in options.Peers)
        {
            _peers.Set(p.Key, p.Value);
        }
        _socket = OpenSocket(options);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _metrics = new UdpTransportMetrics(_counters, LocalId, ClusterId);
        FaultInjector? faults = options.FaultInjection is null ? null : new FaultInjector(options.FaultInjection, options.MaxDatagramSize, _counters);
        _output = new DatagramOutput(_socket, _counters, faults);
        var sequences = new SequenceSource();
        // One MAC state per sending context: node thread, receiving side, chunk transfers (locked).
        _authenticators = new DatagramAuthenticator?[3];
        if (options.ClusterKey is byte[] key)
        {
            for (int i = 0; i < _authenticators.Length; i++)
            {
                _authenticators[i] = new DatagramAuthenticator(key);
            }
        }
        _nodeSealer = new DatagramSealer(ClusterId, LocalId, sequences, _authenticators[0]);
        _receiveSealer = new DatagramSealer(ClusterId, LocalId, sequences, _authenticators[1]);
        _receiveAuthenticator = _authenticators[1];
        _transfers = new TransferSender(options, new DatagramSealer(ClusterId, LocalId, sequences, _authenticators[2]), _output, _counters, new SequenceSource());
        _reassembler = new Reassembler(options, _transfers.ChunkSize, _counters);
        _pool = options.BatchPool ?? new InboundBatchPool(256, options.MaxDatagramSize + 1);
        _overflowBuffer = new byte[options.MaxDatagramSize + 1];
        _batchLimit = options.MaxDatagramSize - _nodeSealer.TrailerSize;
        _ackDatagram = new byte[DatagramHeader.Size + ChunkAck.Size + DatagramSealer.MaxTrailerSize];
        _pollMicros = (int)Math.Clamp(options.HousekeepingInterval.TotalMicroseconds, 1, int.MaxValue);
        _housekeepingInterval = Timestamps.From(options.HousekeepingInterval, options.Time);
        if (!options.ReceiveThread)
        {
            // Polled: the node thread reads without blocking (and a full send buffer fails a send
            // instead of stalling the node); it blocks only in the wait source's poll().
            _socket.Blocking = false;
            _waitSource = new SocketWaitSource(this, _socket, LocalEndPoint, _counters);
        }
    }

    /// <inheritdoc />
    public ulong LocalId { get; }

    /// <summary>The cluster id carried in every datagram (<see cref="UdpTransportOptions.ClusterId"/>); datagrams of another cluster are dropped.</summary>
    public ulong ClusterId { get; }

    /// <summary>
    /// Whether datagrams are authenticated with the cluster key (false only when the application
    /// set <see cref="UdpTransportOptions.InsecureNoAuthentication"/>).
    /// </summary>
    public bool IsAuthenticated { get; }

    /// <summary>The address the socket is bound to (with the port chosen when bound to port 0).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>What the transport has sent, received and dropped so far.</summary>
    public UdpTransportCounters Counters => _counters;

    /// <summary>
    /// The largest encoded message that travels whole in one datagram; larger ones are chunked.
    /// A host sets <c>RaftConfig.MaxSizePerMsg</c> comfortably below this (entry overhead
    /// included) so appends are not chunked.
    /// </summary>
    public int MaxBatchedMessageSize => _batchLimit - BatchBodyStart;

    /// <summary>What the node host sizes appends by: <see cref="MaxBatchedMessageSize"/>.</summary>
    int ITransport.MaxWholeMessageSize => MaxBatchedMessageSize;

    /// <summary>Adds a peer or changes its endpoint (thread-safe; for configuration changes).</summary>
    public void SetPeer(ulong id, IPEndPoint endPoint)
    {
        if (_options.PeerProblem(id, endPoint) is string problem)
        {
            throw new ArgumentException(problem, nameof(endPoint));
        }
        _peers.Set(id, endPoint);
    }

    /// <summary>Forgets a peer: messages to it are dropped, datagrams from it too. Thread-safe.</summary>
    public bool RemovePeer(ulong id) => _peers.Remove(id);

    /// <summary>
    /// Sets where inbound batches and delivery reports go: in the polled mode receiving happens in
    /// <see cref="Poll"/> from now on (no thread is started); with
    /// <see cref="UdpTransportOptions.ReceiveThread"/> the receive thread starts.
    /// </summary>
    public void Start(ITransportSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_started)
        {
            ThrowStarted();
        }
        _started = true;
        _output.Sink = sink;
        if (!IsAuthenticated)
        {
            WarnInsecure();
        }
        _nextHousekeeping = _options.Time.GetTimestamp() + _housekeepingInterval;
        if (_waitSource is not null)
        {
            return;
        }
        _receiveThread = new Thread(ReceiveLoop)
        {
            IsBackground = true,
            Name = $"FastRaft UDP receive (node {LocalId})",
        };
        _receiveThread.Start();
    }

    /// <summary>
    /// Stops the receive thread (if any), closes the sockets and releases buffers. Call after the
    /// node thread stopped sending and polling; a <see cref="FastRaft.Hosting.Agents.IWaitSource.Wake"/> after it is harmless.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _stopping = true;
        _receiveThread?.Join(TimeSpan.FromSeconds(10));
        _output.Close();
        _socket.Dispose();
        _waitSource?.Dispose();
        _transfers.Dispose();
        _metrics.Dispose();
        foreach (DatagramAuthenticator? a in _authenticators)
        {
            a?.Dispose();
        }
    }

    /// <summary>Bytes held by reassemblies in progress (diagnostics, tests).</summary>
    internal long ReassemblyBytes => _reassembler.BufferedBytes;

    /// <summary>Reassemblies in progress (diagnostics, tests).</summary>
    internal int ActiveReassemblies => _reassembler.Active;

    private void WarnInsecure()
    {
        string warning = $"WARNING: FastRaft UDP transport of node {LocalId} on {LocalEndPoint} runs WITHOUT AUTHENTICATION "
            + "(UdpTransportOptions.InsecureNoAuthentication): anyone who can send datagrams to this port can inject Raft "
            + "messages and steer the cluster. Set UdpTransportOptions.ClusterKey (the same 32 random bytes on every node) instead.";
        if (_options.Logger is ILogger logger)
        {
            new RaftLogger(logger).Warning(RaftLogEvents.UdpInsecure, $"{warning}");
        }
        else
        {
            Console.Error.WriteLine(warning);
        }
    }

    private static Socket OpenSocket(UdpTransportOptions options)
    {
        var socket = new Socket(options.Bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            TrySetBufferSizes(socket, options);
            if (OperatingSystem.IsWindows())
            {
                // Windows reports an ICMP port-unreachable as an error on the next receive; ignore it.
                const int SioUdpConnReset = -1744830452;
                socket.IOControl(SioUdpConnReset, [0], null);
            }
            socket.Bind(options.Bind);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static void TrySetBufferSizes(Socket socket, UdpTransportOptions options)
    {
        // Best effort: the OS caps these (net.core.rmem_max / wmem_max on Linux).
        try
        {
            socket.ReceiveBufferSize = options.SocketReceiveBufferSize;
            socket.SendBufferSize = options.SocketSendBufferSize;
        }
        catch (SocketException)
        {
        }
    }

    [DoesNotReturn]
    private static void ThrowStarted() => throw new InvalidOperationException("the transport is already started");
}
