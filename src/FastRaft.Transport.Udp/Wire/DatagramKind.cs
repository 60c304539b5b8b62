namespace FastRaft.Transport.Udp.Wire;

/// <summary>What a datagram's body holds.</summary>
internal enum DatagramKind : byte
{
    /// <summary>A message count, then that many encoded Raft messages back to back.</summary>
    Messages = 1,

    /// <summary>One piece of a message too large for a datagram.</summary>
    Chunk = 2,

    /// <summary>The receiver's progress on a chunked transfer (control; carries no Raft message).</summary>
    ChunkAck = 3,
}

/// <summary>Bits of the header's flags byte.</summary>
[Flags]
internal enum DatagramFlags : byte
{
    None = 0,

    /// <summary>The datagram ends with a MAC over everything before it (a cluster key is set).</summary>
    Authenticated = 1,

    /// <summary>The datagram ends with a CRC-32C of everything before it (no cluster key: corruption is caught, forgery is not).</summary>
    Checksummed = 2,
}

/// <summary>What a receiver says about a chunked transfer in a <see cref="DatagramKind.ChunkAck"/>.</summary>
internal enum ChunkAckStatus : byte
{
    /// <summary>Some chunks arrived; the count says how many distinct ones.</summary>
    InProgress = 0,

    /// <summary>The message arrived whole and was handed to the node.</summary>
    Delivered = 1,

    /// <summary>The receiver will not deliver it (no room, malformed, node inbox full).</summary>
    Refused = 2,
}
