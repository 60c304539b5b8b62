using System.Net;
using FastRaft.Codec.Framing;

namespace FastRaft.Transport.Tcp;

/// <summary>Settings of a <see cref="TcpTransport"/>. Validated once, when the transport is built.</summary>
public sealed class TcpTransportOptions
{
    /// <summary>This node's id.</summary>
    public required ulong LocalId { get; init; }

    /// <summary>Where this node accepts its peers' connections (loopback in tests).</summary>
    public required IPEndPoint ListenEndPoint { get; init; }

    /// <summary>
    /// The other members' listening addresses, as known at start (a node joining a running cluster
    /// lists the current members). Only these, and members of the node's configuration, may connect.
    /// </summary>
    public required IReadOnlyDictionary<ulong, IPEndPoint> Peers { get; init; }

    /// <summary>
    /// Where to find a member the configuration names and <see cref="Peers"/> does not (one added
    /// at run time): asked on the node thread when the configuration changes
    /// (<see cref="TcpTransport.OnConfigurationChanged"/>); null when the address is unknown.
    /// </summary>
    public Func<ulong, IPEndPoint?>? AddressBook { get; init; }

    /// <summary>The cluster's shared secret (at least 16 bytes): authenticates each connection's handshake and every frame.</summary>
    public required byte[] ClusterKey { get; init; }

    /// <summary>The largest encoded message sent or accepted (a peer announcing more is disconnected).</summary>
    public int MaxMessageBytes { get; init; } = FrameFormat.DefaultMaxPayloadBytes;

    /// <summary>How long a connection may take to complete its handshake.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The first wait before redialling a peer; doubled per failure up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan MinReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest wait between dials of an unreachable peer.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The socket send buffer per peer: once a slow peer leaves this much unread, the connection pauses and further messages to it are dropped and reported unreachable.</summary>
    public long SendBufferBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>The most inbound connections open at once; further ones are closed at accept.</summary>
    public int MaxInboundConnections { get; init; } = 64;

    /// <summary>
    /// The largest snapshot accepted from a peer, and the budget for all snapshots being received
    /// at once. Snapshots travel in 64 KiB pieces over a connection of their own, so this bounds
    /// memory, not frames; the node needs the whole snapshot in memory to step it.
    /// </summary>
    public long MaxSnapshotBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>How long a snapshot transfer may go without progress (a piece written or read, the answer) before it is abandoned.</summary>
    public TimeSpan SnapshotIdleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Receive on background tasks (each inbound connection's pipe read by its own task, messages
    /// queued to the node thread) instead of the default polled mode, where the node thread reads
    /// its inbound connections itself in <see cref="TcpTransport.Poll"/> and waits on their sockets
    /// when idle. Set it when nothing polls the transport (a transport used without a node), or
    /// to compare the two.
    /// </summary>
    public bool ReceiveTasks { get; init; }

    /// <summary>
    /// The node's clock: in the polled mode <see cref="TcpTransport.Poll"/> is handed timestamps of
    /// it, and the transport's timeouts are measured in them.
    /// </summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        if (ClusterKey is null || ClusterKey.Length < 16)
        {
            throw new ArgumentException("ClusterKey must hold at least 16 bytes: give every node of the cluster the same secret", nameof(ClusterKey));
        }
        ArgumentNullException.ThrowIfNull(ListenEndPoint);
        ArgumentNullException.ThrowIfNull(Peers);
        ArgumentNullException.ThrowIfNull(Time);
        if (Peers.ContainsKey(LocalId))
        {
            throw new ArgumentException($"Peers must not contain this node's own id {LocalId}", nameof(Peers));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageBytes, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInboundConnections, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(SendBufferBytes, 64 * 1024L);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSnapshotBytes, 0L);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxSnapshotBytes, (long)Array.MaxLength);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(SnapshotIdleTimeout, TimeSpan.Zero);
    }
}
