namespace FastRaft.Transport.Udp;

/// <summary>Why the transport dropped a datagram or a message (counted per reason).</summary>
public enum DropReason
{
    /// <summary>Not dropped.</summary>
    None = 0,

    // Receive side: the datagram as a whole.

    /// <summary>Shorter than the datagram header (or than the header plus its MAC).</summary>
    Truncated,

    /// <summary>Longer than the configured maximum datagram size.</summary>
    Oversized,

    /// <summary>Does not start with the FastRaft datagram magic.</summary>
    BadMagic,

    /// <summary>A datagram format version this transport does not read.</summary>
    UnsupportedVersion,

    /// <summary>A datagram kind this transport does not know.</summary>
    UnknownKind,

    /// <summary>From another cluster (cluster id differs).</summary>
    WrongCluster,

    /// <summary>Addressed to another node id.</summary>
    WrongReceiver,

    /// <summary>The sender id is not a configured peer.</summary>
    UnknownSender,

    /// <summary>The MAC is missing, wrong, or present when no cluster key is configured.</summary>
    BadMac,

    /// <summary>Without a cluster key: the CRC-32C trailer is missing or does not match (the datagram was corrupted).</summary>
    BadChecksum,

    /// <summary>A sequence number already seen from that sender, or too far behind the newest (checked with a cluster key only).</summary>
    Replayed,

    /// <summary>The body does not decode (bad header fields, bad MessagePack, leftover bytes).</summary>
    Malformed,

    /// <summary>A message whose from/to disagrees with the datagram's sender/receiver.</summary>
    SenderMismatch,

    /// <summary>The node's inbox refused the batch (full or stopping).</summary>
    InboxFull,

    // Receive side: chunked transfers.

    /// <summary>A chunk whose header is inconsistent with itself or with its transfer.</summary>
    BadChunk,

    /// <summary>A chunk for a transfer that was refused, abandoned or not delivered (the sender is answered "refused").</summary>
    StaleChunk,

    /// <summary>A new transfer refused: too many reassemblies at once, too many bytes buffered, or larger than the maximum message size.</summary>
    ReassemblyLimit,

    /// <summary>A new transfer refused because its sender already holds its share of reassemblies (count or bytes).</summary>
    PeerReassemblyLimit,

    /// <summary>A reassembly abandoned because no chunk arrived for the reassembly timeout.</summary>
    ReassemblyTimeout,

    /// <summary>
    /// A reassembly abandoned because it did not finish by its deadline (the reassembly timeout
    /// plus its size at the minimum rate), however steadily chunks kept coming.
    /// </summary>
    ReassemblyDeadline,

    /// <summary>A reassembled message whose CRC-32C differs from the one its chunks announced (the sender is answered "refused").</summary>
    BadMessageChecksum,

    /// <summary>A chunk ack for a transfer the sender no longer tracks.</summary>
    StaleAck,

    /// <summary>An exception escaped datagram processing (a bug); the datagram was dropped and the loop went on.</summary>
    InternalError,

    // Send side.

    /// <summary>A message to a node id that has no configured endpoint.</summary>
    UnknownPeer,

    /// <summary>A message larger than the configured maximum message size.</summary>
    MessageTooLarge,

    /// <summary>A large message refused: too many chunked transfers in flight.</summary>
    TransferLimit,

    /// <summary>A chunked transfer given up: no progress from the receiver within the stall timeout, or refused by it.</summary>
    TransferFailed,
}
