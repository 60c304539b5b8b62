using System.Net;
using FastRaft.Sample.Matching;

namespace FastRaft.Sample.Cluster;

/// <summary>Where one node of the sample cluster listens, who its peers are, and how it authenticates.</summary>
/// <param name="Id">The node's id.</param>
/// <param name="InitialMembers">
/// The voters of a new cluster this node bootstraps (used only when its storage is empty); null
/// for a node that joins a running cluster (it waits, with no configuration, to be added) or
/// restarts on its storage.
/// </param>
/// <param name="RaftBind">The node's Raft address (UDP, or TCP with <see cref="Transport"/> Tcp); port 0 picks a free one (UDP only: TCP peers are fixed at start).</param>
/// <param name="ClientBind">The node's client gateway (TCP) address; port 0 picks a free one.</param>
/// <param name="Peers">The other nodes' Raft addresses (may be completed after binding with <see cref="SampleNode.SetPeer"/>; members added at run time are found through the <see cref="MemberDirectory"/>).</param>
/// <param name="Instruments">What the matching engine trades (the same on every node).</param>
/// <param name="ClusterKey">
/// The cluster's shared key (at least 16 bytes): Raft datagrams carry a MAC under it, and
/// membership requests on the client port must be signed with it. Null runs without
/// authentication (<c>--insecure-no-auth</c>): anyone who can reach the ports can take part.
/// </param>
public sealed record NodeConfig(
    ulong Id,
    IReadOnlyList<ulong>? InitialMembers,
    IPEndPoint RaftBind,
    IPEndPoint ClientBind,
    IReadOnlyDictionary<ulong, IPEndPoint> Peers,
    IReadOnlyList<Instrument> Instruments,
    byte[]? ClusterKey)
{
    /// <summary>How Raft messages travel between the nodes (UDP unless set).</summary>
    public RaftTransportKind Transport { get; init; } = RaftTransportKind.Udp;

    /// <summary>
    /// Where the other nodes' client gateways are (from <c>--peers</c>), so a NotLeader answer can
    /// send a client to the leader's address; null, or no answer for a node: the answer carries
    /// the leader's id only.
    /// </summary>
    public Func<ulong, IPEndPoint?>? ClientAddressOf { get; init; }
}
