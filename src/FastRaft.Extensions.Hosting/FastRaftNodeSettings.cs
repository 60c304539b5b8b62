namespace FastRaft.Extensions.Hosting;

/// <summary>
/// A hosted node's settings, bound from configuration by
/// <see cref="FastRaftServiceCollectionExtensions.AddFastRaftNode{TResult}(Microsoft.Extensions.DependencyInjection.IServiceCollection, Microsoft.Extensions.Configuration.IConfiguration, Func{IServiceProvider, FastRaft.Hosting.IStateMachine{TResult}})"/>
/// (keys are the property names, e.g. <c>FastRaft:NodeId</c>, <c>FastRaft:Peers:2</c>). They are
/// checked when the host starts; every problem is reported with the key it concerns.
/// </summary>
/// <example>
/// <code>
/// "FastRaft": {
///   "NodeId": 1,
///   "Peers": { "1": "10.0.0.1:7001", "2": "10.0.0.2:7001", "3": "10.0.0.3:7001" },
///   "ClusterKeyFile": "/etc/myapp/cluster.key",
///   "DataDirectory": "/var/lib/myapp/raft",
///   "InitialMembers": [ 1, 2, 3 ]
/// }
/// </code>
/// </example>
public sealed class FastRaftNodeSettings
{
    /// <summary>This node's id (non-zero, unique in the cluster).</summary>
    public ulong NodeId { get; set; }

    /// <summary>
    /// Where this node listens, as <c>host:port</c> (an IP address or a host name). When not set,
    /// this node's own entry in <see cref="Peers"/> is used.
    /// </summary>
    public string? Listen { get; set; }

    /// <summary>
    /// The members' Raft addresses by node id, each <c>host:port</c>; may include this node (the
    /// same table can then be given to every node). Every other initial member must be listed.
    /// </summary>
    public Dictionary<ulong, string> Peers { get; set; } = [];

    /// <summary>The transport: <c>udp</c> (the default) or <c>tcp</c>.</summary>
    public FastRaftTransportKind Transport { get; set; } = FastRaftTransportKind.Udp;

    /// <summary>A file holding the cluster key as hex text (at least 16 bytes; 32 random bytes are recommended). Exclusive with <see cref="ClusterKeyHex"/>.</summary>
    public string? ClusterKeyFile { get; set; }

    /// <summary>The cluster key as hex text. Prefer <see cref="ClusterKeyFile"/> or a secret store over plain configuration files.</summary>
    public string? ClusterKeyHex { get; set; }

    /// <summary>
    /// Run without a cluster key: anyone who can reach the Raft port can steer the cluster. Only
    /// where every host is trusted, or tests. Exclusive with a key.
    /// </summary>
    public bool InsecureNoAuthentication { get; set; }

    /// <summary>The write-ahead log's directory; not set: the log is kept in memory (the node then has no durable identity).</summary>
    public string? DataDirectory { get; set; }

    /// <summary>The voters of a new cluster, this node among them (ignored when the data directory already holds a log). Exclusive with <see cref="Join"/>.</summary>
    public List<ulong> InitialMembers { get; set; } = [];

    /// <summary>Join a running cluster: start empty and wait for the leader to add this node. Exclusive with <see cref="InitialMembers"/>.</summary>
    public bool Join { get; set; }

    /// <summary>
    /// Refuse to start unless <see cref="DataDirectory"/> already holds a log. Set it after the
    /// node's first start: a node whose data directory was lost then stops with a clear error
    /// instead of coming back empty under its old id (and, with <see cref="InitialMembers"/>,
    /// bootstrapping a second cluster).
    /// </summary>
    public bool RequireExistingData { get; set; }

    /// <summary>Milliseconds per logical tick (default 10).</summary>
    public int TickIntervalMs { get; set; } = 10;

    /// <summary>Ticks without a leader before a follower campaigns (default 20).</summary>
    public int ElectionTicks { get; set; } = 20;

    /// <summary>Ticks between a leader's heartbeats (default 2).</summary>
    public int HeartbeatTicks { get; set; } = 2;
}
