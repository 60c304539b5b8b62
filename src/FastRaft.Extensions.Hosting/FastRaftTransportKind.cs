namespace FastRaft.Extensions.Hosting;

/// <summary>Which transport carries a hosted node's Raft traffic (configuration value <c>udp</c> or <c>tcp</c>).</summary>
public enum FastRaftTransportKind
{
    /// <summary>FastRaft.Transport.Udp: batched datagrams, for LANs and data centres where UDP flows freely.</summary>
    Udp,

    /// <summary>FastRaft.Transport.Tcp: framed streams, where UDP is throttled or blocked.</summary>
    Tcp,
}
