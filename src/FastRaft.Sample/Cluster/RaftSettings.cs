using System.Net;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Sample.Matching;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Udp;
using Microsoft.Extensions.Logging;

namespace FastRaft.Sample.Cluster;

/// <summary>
/// The sample's consensus and transport settings, all explicit (rather than relying on library
/// defaults): 10 ms ticks, elections after 200-400 ms of silence, heartbeats every 20 ms,
/// pre-vote and check-quorum on, appends sized to travel whole in one datagram, snapshots every
/// 50,000 entries.
/// </summary>
public static class RaftSettings
{
    /// <summary>Carried in every Raft datagram; datagrams of another cluster are dropped.</summary>
    public const ulong ClusterId = 0x46_52_53_41_4D_50_4C_45; // "FRSAMPLE"

    /// <summary>Bytes of a cluster key the sample makes (<c>--gen-key</c>, the demo).</summary>
    public const int ClusterKeySize = 32;

    public static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(10);
    public const int ElectionTick = 20;
    public const int HeartbeatTick = 2;

    /// <summary>The instruments the sample trades.</summary>
    public static IReadOnlyList<Instrument> Instruments { get; } = [new(1, "ACME"), new(2, "GLOBEX"), new(3, "INITECH")];

    /// <summary>
    /// UDP transport options: whole 60,000-byte datagrams on loopback, 1,400 bytes (under a
    /// typical path MTU) when any address is not loopback. Every node must use the same size.
    /// Datagrams are authenticated with <paramref name="clusterKey"/>; null runs without
    /// authentication, which the options then say explicitly. Members added at run time are
    /// looked up in <paramref name="addressBook"/>.
    /// </summary>
    public static UdpTransportOptions Transport(ulong id, IPEndPoint bind, IReadOnlyDictionary<ulong, IPEndPoint> peers, byte[]? clusterKey,
        Func<ulong, IPEndPoint?>? addressBook = null)
    {
        bool loopback = IPAddress.IsLoopback(bind.Address);
        foreach (IPEndPoint p in peers.Values)
        {
            loopback &= IPAddress.IsLoopback(p.Address);
        }
        var options = new UdpTransportOptions
        {
            LocalId = id,
            ClusterId = ClusterId,
            Bind = bind,
            MaxDatagramSize = loopback ? 60_000 : 1_400,
            ClusterKey = clusterKey,
            InsecureNoAuthentication = clusterKey is null,
            AddressBook = addressBook,
        };
        foreach ((ulong peer, IPEndPoint endPoint) in peers)
        {
            if (peer != id)
            {
                options.Peers[peer] = endPoint;
            }
        }
        return options;
    }

    /// <summary>The largest message a TCP connection carries between the sample's nodes (snapshots stream in pieces beside them).</summary>
    public const int TcpMaxMessageBytes = 4 << 20;

    /// <summary>Appends over TCP are cut at this size (a stream has no datagram bound; this keeps one append from holding the connection long).</summary>
    public const ulong TcpMaxSizePerMsg = 1 << 20;

    /// <summary>
    /// TCP transport options: every connection authenticated with <paramref name="clusterKey"/>, or
    /// none when it is null (<c>--insecure-no-auth</c>); members added at run time are found in
    /// <paramref name="addressBook"/> (the member directory, filled from the membership changes).
    /// </summary>
    public static TcpTransportOptions TcpTransport(ulong id, IPEndPoint listen, IReadOnlyDictionary<ulong, IPEndPoint> peers, byte[]? clusterKey,
        Func<ulong, IPEndPoint?>? addressBook = null, ILogger? logger = null)
    {
        var others = new Dictionary<ulong, IPEndPoint>();
        foreach ((ulong peer, IPEndPoint endPoint) in peers)
        {
            if (peer != id)
            {
                others[peer] = endPoint;
            }
        }
        return new TcpTransportOptions
        {
            LocalId = id,
            ListenEndPoint = listen,
            Peers = others,
            ClusterKey = clusterKey,
            InsecureNoAuthentication = clusterKey is null,
            AddressBook = addressBook,
            Logger = logger,
            MaxMessageBytes = TcpMaxMessageBytes,
        };
    }

    /// <summary>What an append may carry over a UDP transport: half of what a datagram carries leaves room for entry overhead.</summary>
    public static ulong MaxSizePerMsg(UdpTransport transport) => (ulong)transport.MaxBatchedMessageSize / 2;

    /// <summary>The node host's options for node <paramref name="id"/>.</summary>
    /// <param name="initialMembers">The voters to bootstrap with when the storage is empty; null to wait for a leader to add this node.</param>
    /// <param name="maxSizePerMsg">The transport's bound on one append (<see cref="MaxSizePerMsg(UdpTransport)"/> or <see cref="TcpMaxSizePerMsg"/>).</param>
    public static RaftNodeOptions Node(ulong id, IReadOnlyList<ulong>? initialMembers, ulong maxSizePerMsg, ILogger logger) => new()
    {
        Raft = new RaftConfig
        {
            Id = id,
            ElectionTick = ElectionTick,
            HeartbeatTick = HeartbeatTick,
            PreVote = true,
            CheckQuorum = true,
            MaxSizePerMsg = maxSizePerMsg,
            MaxInflightMsgs = 256,
            MaxUncommittedEntriesSize = 16 << 20,
            // A chunked snapshot whose status never comes back is retried after this many ticks.
            SnapshotStatusTimeoutTicks = 2 * ElectionTick,
            Logger = logger,
        },
        TickInterval = TickInterval,
        InitialMembers = initialMembers,
        Snapshots = new SnapshotPolicy { EveryEntries = 50_000, KeepEntries = 10_000 },
        // The gateway's continuations only queue a reply for their connection's writer (and the
        // membership handler's take a short lock): safe on the node thread, and a cycle's replies
        // then reach each writer together, one send per batch instead of one per reply.
        RunContinuationsInline = true,
    };
}
