using System.Net;
using FastRaft.Sample.Matching;

namespace FastRaft.Sample.Cluster;

/// <summary>Where one node of the sample cluster listens and who its peers are.</summary>
/// <param name="Id">The node's id (1..n).</param>
/// <param name="Members">Every voter's id (the cluster is bootstrapped with them when its storage is empty).</param>
/// <param name="RaftBind">The node's Raft (UDP) address; port 0 picks a free one.</param>
/// <param name="ClientBind">The node's client-protocol (UDP) address; port 0 picks a free one.</param>
/// <param name="Peers">The other nodes' Raft addresses (may be completed after binding with <see cref="SampleNode.SetPeer"/>).</param>
/// <param name="Instruments">What the matching engine trades (the same on every node).</param>
public sealed record NodeConfig(
    ulong Id,
    IReadOnlyList<ulong> Members,
    IPEndPoint RaftBind,
    IPEndPoint ClientBind,
    IReadOnlyDictionary<ulong, IPEndPoint> Peers,
    IReadOnlyList<Instrument> Instruments);
