using System.Net;
using FastRaft.Codec.Framing;
using Microsoft.Extensions.Logging;

namespace FastRaft.Transport.Tcp;

/// <summary>
/// Settings of a <see cref="TcpTransport"/>. Validated once, when the transport is built. Exactly
/// one way to secure connections must be chosen: <see cref="Tls"/>, <see cref="ClusterKey"/>, or
/// (only where every host is trusted) <see cref="InsecureNoAuthentication"/>.
/// </summary>
public sealed class TcpTransportOptions
{
    /// <summary>The logger category the TCP transport's lines are documented under: create its <see cref="Logger"/> with this name.</summary>
    public const string LogCategory = "FastRaft.Transport.Tcp";

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

    /// <summary>
    /// The cluster's shared secret (at least 16 bytes; use 32 random bytes, the same on every
    /// node), when not using <see cref="Tls"/>: authenticates each connection's handshake
    /// (challenge–response, replay-safe) and every frame (a MAC each).
    /// </summary>
    public byte[]? ClusterKey { get; init; }

    /// <summary>
    /// Mutual TLS instead of the cluster key: certificates authenticate both ends of every
    /// connection and TLS protects every frame (which then carries no MAC). Setting it together
    /// with <see cref="ClusterKey"/> is refused (the key would never be used).
    /// </summary>
    public TcpTlsOptions? Tls { get; init; }

    /// <summary>
    /// Runs without <see cref="ClusterKey"/> or <see cref="Tls"/>: a connection opens with a plain
    /// hello naming the node, and frames carry only a CRC-32C, which catches corruption but not
    /// forgery, so anyone who can reach the port can inject Raft messages and steer the cluster.
    /// Only for networks where every host is trusted (or tests); the transport says so in a
    /// warning when it starts. Setting it together with a key or TLS is refused. Secure and
    /// insecure nodes refuse each other's connections.
    /// </summary>
    public bool InsecureNoAuthentication { get; init; }

    /// <summary>
    /// Where the transport's warnings go (create it under the category
    /// <see cref="LogCategory"/>): every refused or closed
    /// connection, once, with its remote address and reason. When null, refusals are only
    /// counted, and the insecure-mode warning is written to standard error.
    /// </summary>
    public ILogger? Logger { get; init; }

    /// <summary>The largest encoded message sent or accepted (a peer announcing more is disconnected); at least 64 KiB + 1, so a snapshot piece fits in one frame.</summary>
    public int MaxMessageBytes { get; init; } = FrameFormat.DefaultMaxPayloadBytes;

    /// <summary>How long a connection may take to complete its handshake (TLS included).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a frame may take to arrive once its first byte has: a sender that starts a frame
    /// and stalls (or trickles it) is disconnected. Size it for the largest message at the
    /// slowest link (the default gives a 4 MiB message 5 s).
    /// </summary>
    public TimeSpan FrameTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// An accepted connection on which nothing arrives for this long is closed; infinite (the
    /// default) disables it. A leader's connection carries a heartbeat every heartbeat interval,
    /// but a follower's connection to another follower stays silent between elections, so an
    /// idle timeout closes those (harmlessly: the dialler redials on its next message). Keep it
    /// well above the heartbeat interval.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = Timeout.InfiniteTimeSpan;

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
        ValidateSecurity();
        ArgumentNullException.ThrowIfNull(ListenEndPoint);
        ArgumentNullException.ThrowIfNull(Peers);
        ArgumentNullException.ThrowIfNull(Time);
        if (Peers.ContainsKey(LocalId))
        {
            throw new ArgumentException($"Peers must not contain this node's own id {LocalId}", nameof(Peers));
        }
        // A snapshot piece (64 KiB) must fit in one frame on both sides.
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageBytes, Snapshots.OutgoingSnapshot.PieceFrameBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInboundConnections, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(SendBufferBytes, 64 * 1024L);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSnapshotBytes, 0L);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxSnapshotBytes, (long)Array.MaxLength);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(SnapshotIdleTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HandshakeTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(FrameTimeout, TimeSpan.Zero);
        if (IdleTimeout != Timeout.InfiniteTimeSpan && IdleTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(IdleTimeout), IdleTimeout, "IdleTimeout must be positive, or Timeout.InfiniteTimeSpan to disable it");
        }
    }

    private void ValidateSecurity()
    {
        if (InsecureNoAuthentication && (ClusterKey is not null || Tls is not null))
        {
            throw new ArgumentException(
                "InsecureNoAuthentication is set together with " + (Tls is not null ? "Tls" : "ClusterKey") + ", which contradicts itself: "
                + "remove InsecureNoAuthentication to authenticate, or the " + (Tls is not null ? "TLS settings" : "key") + " to run without authentication",
                nameof(InsecureNoAuthentication));
        }
        if (ClusterKey is not null && Tls is not null)
        {
            throw new ArgumentException(
                "ClusterKey and Tls are both set: choose one. With Tls, certificates authenticate every connection and TLS protects "
                + "every frame, so the key would never be used; remove ClusterKey to use TLS, or Tls to authenticate with the key",
                nameof(ClusterKey));
        }
        if (ClusterKey is null && Tls is null && !InsecureNoAuthentication)
        {
            throw new ArgumentException(
                "no authentication is set: set Tls (this node's certificate and the cluster's CA) for mutual TLS, or ClusterKey "
                + "(the same secret of at least 16 bytes on every node, e.g. 32 bytes from RandomNumberGenerator.GetBytes(32)). "
                + "Only on a network where every host is trusted, set InsecureNoAuthentication = true instead "
                + "to run without authentication (anyone who can reach the port can then steer the cluster)",
                nameof(ClusterKey));
        }
        if (ClusterKey is { Length: < 16 })
        {
            throw new ArgumentException("ClusterKey must hold at least 16 bytes: give every node of the cluster the same secret", nameof(ClusterKey));
        }
        Tls?.Validate();
    }
}
