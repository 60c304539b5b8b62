namespace FastRaft.Transport.Udp;

/// <summary>
/// One message being sent in chunks: its encoding (a rented array), how far sending got, what the
/// receiver says it holds, and when each chunk last left (to resend lost ones, not every chunk in
/// flight). Guarded by the <see cref="TransferSender"/>'s lock.
/// </summary>
internal sealed class Transfer(Peer peer, ulong id, byte[] encoded, int length, int chunkCount, uint messageChecksum, bool isSnapshot, long[] sentAt, long now)
{
    public Peer Peer { get; } = peer;

    public ulong Id { get; } = id;

    public byte[] Encoded { get; } = encoded;

    public int Length { get; } = length;

    public int ChunkCount { get; } = chunkCount;

    /// <summary>The CRC-32C of the encoded message, carried in every chunk.</summary>
    public uint MessageChecksum { get; } = messageChecksum;

    /// <summary>A snapshot's outcome is reported to the node; other messages are fire-and-forget.</summary>
    public bool IsSnapshot { get; } = isSnapshot;

    /// <summary>When each chunk was last sent (a timestamp of the transport's clock), by index; a rented array.</summary>
    public long[] SentAt { get; } = sentAt;

    /// <summary>The next chunk index to send for the first time.</summary>
    public int NextChunk { get; set; }

    /// <summary>Distinct chunks the receiver has acknowledged.</summary>
    public int Acked { get; set; }

    /// <summary>The lowest chunk index the receiver lacked, as of its latest acknowledgement.</summary>
    public int FirstMissing { get; set; }

    /// <summary>Which chunks from <see cref="FirstMissing"/> on the receiver holds (bit i: chunk FirstMissing + i).</summary>
    public ulong HeldMask { get; set; }

    /// <summary>When the receiver last showed progress (a timestamp of the transport's clock).</summary>
    public long LastProgress { get; set; } = now;

    /// <summary>Resends since the last progress: each doubles the wait before the next (a silent receiver is not flooded).</summary>
    public int Backoff { get; set; }

    /// <summary>When chunks were last resent for lack of progress.</summary>
    public long LastTimeoutResend { get; set; } = now;

    public bool Holds(int index)
    {
        int offset = index - FirstMissing;
        return offset < 0 || (offset < 64 && (HeldMask & (1UL << offset)) != 0);
    }
}
