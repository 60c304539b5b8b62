using System.Net;
using FastRaft.Hosting;
using FastRaft.Transport.Udp.Wire;
using Microsoft.Extensions.Logging;

namespace FastRaft.Transport.Udp;

/// <summary>How a <see cref="UdpTransport"/> is set up. Every node of a cluster uses the same sizes and key.</summary>
public sealed record UdpTransportOptions
{
    /// <summary>The logger category the UDP transport's lines are documented under: create its <see cref="Logger"/> with this name.</summary>
    public const string LogCategory = "FastRaft.Transport.Udp";

    /// <summary>The largest UDP payload over IPv4.</summary>
    public const int MaxUdpPayload = 65_507;

    /// <summary>The smallest datagram size accepted (room for headers, a MAC and some data).</summary>
    public const int MinDatagramSize = 512;

    /// <summary>The node this transport sends for (non-zero).</summary>
    public ulong LocalId { get; init; }

    /// <summary>Carried in every datagram; datagrams of another cluster are dropped.</summary>
    public ulong ClusterId { get; init; }

    /// <summary>Where the socket binds. Port 0 picks a free port (see <see cref="UdpTransport.LocalEndPoint"/>).</summary>
    public IPEndPoint Bind { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>
    /// The peers' endpoints by node id (more can be set later with <see cref="UdpTransport.SetPeer"/>,
    /// or found in <see cref="AddressBook"/>). A node joining a running cluster lists the current
    /// members here: datagrams from a sender not in the table are dropped.
    /// </summary>
    public IDictionary<ulong, IPEndPoint> Peers { get; } = new Dictionary<ulong, IPEndPoint>();

    /// <summary>
    /// Where to find a node the configuration names and <see cref="Peers"/> does not (e.g. one added
    /// at run time): called on the node thread when the host reports a configuration
    /// (<see cref="UdpTransport.OnConfigurationChanged"/>); null when the address is unknown.
    /// </summary>
    public Func<ulong, IPEndPoint?>? AddressBook { get; init; }

    /// <summary>
    /// The largest datagram sent, and accepted: larger ones are dropped. 60,000 suits loopback;
    /// use about 1,400 on real networks to stay under the path MTU. Set
    /// <c>RaftConfig.MaxSizePerMsg</c> below <see cref="UdpTransport.MaxBatchedMessageSize"/> so
    /// appends travel whole and only snapshots are chunked.
    /// </summary>
    public int MaxDatagramSize { get; init; } = 60_000;

    /// <summary>
    /// The largest message sent or reassembled (snapshots included); larger ones are dropped and
    /// a snapshot among them reported failed.
    /// </summary>
    public int MaxMessageSize { get; init; } = 64 * 1024 * 1024;

    /// <summary>
    /// The shared secret of the cluster (at least 16 bytes; use 32 random bytes, the same on every
    /// node). Required unless <see cref="InsecureNoAuthentication"/> is set. Every datagram carries
    /// an HMAC-SHA256 (truncated to 16 bytes) and datagrams without a valid one are dropped; the
    /// authenticated sequence numbers also guard against replays (and drop duplicates).
    /// </summary>
    public byte[]? ClusterKey { get; init; }

    /// <summary>
    /// Runs without <see cref="ClusterKey"/>: datagrams then carry only a CRC-32C, which catches
    /// corruption but not forgery, so anyone who can send datagrams to the port can inject Raft
    /// messages and steer the cluster. Only for networks where every host is trusted (or tests);
    /// the transport says so in a warning when it starts. Setting it together with a key is refused.
    /// </summary>
    public bool InsecureNoAuthentication { get; init; }

    /// <summary>
    /// Where the transport's warnings go (create it under the category
    /// <see cref="LogCategory"/>); when null, they are written to standard error.
    /// </summary>
    public ILogger? Logger { get; init; }

    /// <summary>Chunked messages being reassembled at once, from all senders together.</summary>
    public int MaxConcurrentReassemblies { get; init; } = 4;

    /// <summary>
    /// Chunked messages being reassembled at once from one sender, so that one sender cannot take
    /// every slot (keep it below <see cref="MaxConcurrentReassemblies"/>).
    /// </summary>
    public int MaxReassembliesPerPeer { get; init; } = 2;

    /// <summary>Bytes held by reassemblies at once (each holds its whole message).</summary>
    public long MaxReassemblyBytes { get; init; } = 128L * 1024 * 1024;

    /// <summary>
    /// Bytes held by the reassemblies of one sender at once: at least <see cref="MaxMessageSize"/>,
    /// at most <see cref="MaxReassemblyBytes"/> (keep it below, so one sender cannot take it all).
    /// </summary>
    public long MaxReassemblyBytesPerPeer { get; init; } = 64L * 1024 * 1024;

    /// <summary>A reassembly with no new chunk for this long is abandoned.</summary>
    public TimeSpan ReassemblyTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The slowest transfer a reassembly waits for: each has a deadline of
    /// <see cref="ReassemblyTimeout"/> plus its size at this rate from its first chunk, after which it
    /// is abandoned however steadily chunks keep coming (so a trickle cannot hold memory forever).
    /// The default (1 MiB/s) gives a 64 MiB snapshot 69 s.
    /// </summary>
    public long ReassemblyMinBytesPerSecond { get; init; } = 1024 * 1024;

    /// <summary>Chunked messages this node sends at once (across peers).</summary>
    public int MaxConcurrentTransfers { get; init; } = 4;

    /// <summary>
    /// Bytes of chunks sent ahead of the receiver's acknowledgements: bounds the burst a
    /// receiver's socket buffer must absorb.
    /// </summary>
    public int TransferWindowBytes { get; init; } = 256 * 1024;

    /// <summary>
    /// A chunked send whose receiver shows no progress for this long resends the chunks not known
    /// to have arrived (then waits twice as long before the next resend, and so on). Chunks the
    /// receiver's acknowledgements show missing behind a later one are resent sooner, without waiting.
    /// </summary>
    public TimeSpan ChunkResendInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// A chunked send with no acknowledged progress for this long is given up (a snapshot among
    /// them is reported failed, so the leader retries after its pause).
    /// </summary>
    public TimeSpan TransferStallTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often chunked transfers and reassemblies are checked for resends and expiry: by the
    /// receive thread (waking when idle for it), or in the polled mode by <see cref="UdpTransport.Poll"/>
    /// when due (its wait source keeps an idle node's waits this short only while a transfer or
    /// reassembly is in progress).
    /// </summary>
    public TimeSpan HousekeepingInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// False (the default, the polled mode): no thread of the transport's own. The node thread
    /// receives by calling <see cref="UdpTransport.Poll"/> each duty cycle, which reads the socket
    /// without blocking and hands inbound batches to the sink on that thread, and waits when idle on
    /// <see cref="UdpTransport.WaitSource"/> (socket readiness or a wake). True: a dedicated receive
    /// thread reads the socket and hands batches to the sink from there (for hosts that never call
    /// <see cref="UdpTransport.Poll"/>); <see cref="UdpTransport.WaitSource"/> is then null.
    /// </summary>
    public bool ReceiveThread { get; init; }

    /// <summary>
    /// Datagrams one <see cref="UdpTransport.Poll"/> reads at most, so that a flood cannot keep the
    /// node thread from its other work (what is left is read by the next call).
    /// </summary>
    public int MaxDatagramsPerPoll { get; init; } = 64;

    /// <summary>
    /// The clock of every timeout (resends, stalls, reassembly expiry, address-book retries). In the
    /// polled mode it must be the node's own clock: <see cref="UdpTransport.Poll"/> receives its
    /// time as a timestamp of the node's <see cref="TimeProvider"/>. Tests pass a manual one.
    /// </summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Requested socket receive buffer size in bytes (the OS may cap it).</summary>
    public int SocketReceiveBufferSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>Requested socket send buffer size in bytes (the OS may cap it).</summary>
    public int SocketSendBufferSize { get; init; } = 1024 * 1024;

    /// <summary>Where inbound batches come from (shared with the node host, or one of the transport's own).</summary>
    public InboundBatchPool? BatchPool { get; init; }

    /// <summary>Test only: seeded loss, duplication and reordering of sent datagrams.</summary>
    public UdpFaultInjection? FaultInjection { get; init; }

    /// <summary>Checks the options (the transport does when it is built).</summary>
    /// <exception cref="ArgumentException">An option is invalid; the parameter name is the option's.</exception>
    public void Validate()
    {
        if (LocalId == 0)
        {
            throw Invalid("LocalId must be non-zero", nameof(LocalId));
        }
        if (Bind is null)
        {
            throw Invalid("Bind must be set", nameof(Bind));
        }
        if (MaxDatagramSize is < MinDatagramSize or > MaxUdpPayload)
        {
            throw Invalid($"MaxDatagramSize must be between {MinDatagramSize} and {MaxUdpPayload}", nameof(MaxDatagramSize));
        }
        if (MaxMessageSize < MaxDatagramSize || MaxMessageSize > Array.MaxLength - DatagramBuffer.Slack)
        {
            throw Invalid("MaxMessageSize must be at least MaxDatagramSize and fit an array", nameof(MaxMessageSize));
        }
        if (KeyProblem() is string keyProblem)
        {
            throw Invalid(keyProblem, nameof(ClusterKey));
        }
        RequireAtLeastOne(MaxConcurrentReassemblies, nameof(MaxConcurrentReassemblies));
        RequireAtLeastOne(MaxReassembliesPerPeer, nameof(MaxReassembliesPerPeer));
        RequireAtLeastOne(MaxConcurrentTransfers, nameof(MaxConcurrentTransfers));
        if (MaxReassemblyBytesPerPeer < MaxMessageSize)
        {
            throw Invalid("MaxReassemblyBytesPerPeer must be at least MaxMessageSize", nameof(MaxReassemblyBytesPerPeer));
        }
        if (MaxReassemblyBytes < MaxReassemblyBytesPerPeer)
        {
            throw Invalid("MaxReassemblyBytes must be at least MaxReassemblyBytesPerPeer", nameof(MaxReassemblyBytes));
        }
        if (ReassemblyMinBytesPerSecond < 1)
        {
            throw Invalid("ReassemblyMinBytesPerSecond must be positive", nameof(ReassemblyMinBytesPerSecond));
        }
        if (TransferWindowBytes < 1)
        {
            throw Invalid("TransferWindowBytes must be positive", nameof(TransferWindowBytes));
        }
        if (Time is null)
        {
            throw Invalid("Time must be set", nameof(Time));
        }
        if (MaxDatagramsPerPoll < 1)
        {
            throw Invalid("MaxDatagramsPerPoll must be at least 1", nameof(MaxDatagramsPerPoll));
        }
        RequirePositive(ReassemblyTimeout, nameof(ReassemblyTimeout));
        RequirePositive(TransferStallTimeout, nameof(TransferStallTimeout));
        RequirePositive(HousekeepingInterval, nameof(HousekeepingInterval));
        RequirePositive(ChunkResendInterval, nameof(ChunkResendInterval));
        foreach (KeyValuePair<ulong, IPEndPoint> p in Peers)
        {
            if (PeerProblem(p.Key, p.Value) is string problem)
            {
                throw Invalid(problem, nameof(Peers));
            }
        }
        if (FaultInjection?.Validate() is string faultProblem)
        {
            throw Invalid(faultProblem, nameof(FaultInjection));
        }
    }

    private static ArgumentException Invalid(string problem, string option) => new(problem, option);

    private static void RequireAtLeastOne(int value, string option)
    {
        if (value < 1)
        {
            throw Invalid($"{option} must be at least 1", option);
        }
    }

    private static void RequirePositive(TimeSpan interval, string option)
    {
        if (interval <= TimeSpan.Zero)
        {
            throw Invalid($"{option} must be positive", option);
        }
    }

    private string? KeyProblem()
    {
        if (ClusterKey is null && !InsecureNoAuthentication)
        {
            return "ClusterKey is not set: give every node of the cluster the same secret of at least 16 bytes "
                + "(e.g. 32 bytes from RandomNumberGenerator.GetBytes(32), stored where only the nodes can read it). "
                + "Only on a network where every host is trusted, set InsecureNoAuthentication = true instead "
                + "to run without authentication (anyone who can reach the port can then steer the cluster)";
        }
        if (ClusterKey is not null && InsecureNoAuthentication)
        {
            return "ClusterKey and InsecureNoAuthentication are both set, which contradicts itself: "
                + "remove InsecureNoAuthentication to authenticate with the key, or the key to run without authentication";
        }
        if (ClusterKey is { Length: < 16 })
        {
            return "ClusterKey must be at least 16 bytes (32 random bytes are recommended)";
        }
        return null;
    }

    internal string? PeerProblem(ulong id, IPEndPoint? endPoint)
    {
        if (id == 0 || id == LocalId)
        {
            return $"peer id {id} must be non-zero and not the local id";
        }
        if (endPoint is null || endPoint.AddressFamily != Bind.AddressFamily)
        {
            return $"peer {id}: the endpoint must be set and of the same address family as Bind";
        }
        return null;
    }
}
