using System.Net;
using System.Net.Sockets;
using FastRaft.Transport.Udp.Wire;

namespace FastRaft.Transport.Udp;

/// <summary>
/// One remote node: its address, the datagram being batched for it (node thread only) and the
/// receive-side state about it (the receive thread, or in the polled mode the node thread in Poll). Replacing a peer's endpoint makes a new
/// <see cref="Peer"/>, so neither thread ever sees the fields change under it.
/// </summary>
internal sealed class Peer
{
    public Peer(ulong id, IPEndPoint endPoint, int maxDatagramSize)
    {
        Id = id;
        EndPoint = endPoint;
        Address = endPoint.Serialize();
        Batch = new DatagramBuffer(maxDatagramSize);
    }

    public ulong Id { get; }

    public IPEndPoint EndPoint { get; }

    /// <summary>The serialized endpoint the allocation-free SendTo overload takes.</summary>
    public SocketAddress Address { get; }

    // Node thread.

    /// <summary>The datagram of messages being filled; the header is written when it leaves.</summary>
    public DatagramBuffer Batch { get; }

    /// <summary>Messages in <see cref="Batch"/> (0: nothing pending).</summary>
    public int BatchCount { get; set; }

    /// <summary>Whether the peer is on the list of peers with a pending datagram.</summary>
    public bool Queued { get; set; }

    // Receiving side.

    public ReplayWindow Replay { get; } = new();

    /// <summary>This peer's recent transfers that are over: their chunks are answered, not reassembled again.</summary>
    public ClosedTransfers ClosedTransfers { get; } = new();
}
