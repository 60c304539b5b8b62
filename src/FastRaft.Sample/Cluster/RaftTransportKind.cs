namespace FastRaft.Sample.Cluster;

/// <summary>How the sample's nodes carry Raft messages between them (<c>--transport udp|tcp</c>).</summary>
public enum RaftTransportKind
{
    /// <summary>Authenticated datagrams (<see cref="FastRaft.Transport.Udp.UdpTransport"/>): the default.</summary>
    Udp,

    /// <summary>
    /// Authenticated framed connections (<see cref="FastRaft.Transport.Tcp.TcpTransport"/>). For
    /// now it needs a cluster key and its peers are fixed when a node starts, so nodes cannot be
    /// added at run time.
    /// </summary>
    Tcp,
}
