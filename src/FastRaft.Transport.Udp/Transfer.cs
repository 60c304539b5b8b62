namespace FastRaft.Transport.Udp;

/// <summary>
/// One message being sent in chunks: its encoding (a rented array), how far sending got and how
/// far the receiver says it got. Guarded by the <see cref="TransferSender"/>'s lock.
/// </summary>
internal sealed class Transfer(Peer peer, ulong id, byte[] encoded, int length, int chunkCount, bool isSnapshot, long now)
{
    public Peer Peer { get; } = peer;

    public ulong Id { get; } = id;

    public byte[] Encoded { get; } = encoded;

    public int Length { get; } = length;

    public int ChunkCount { get; } = chunkCount;

    /// <summary>A snapshot's outcome is reported to the node; other messages are fire-and-forget.</summary>
    public bool IsSnapshot { get; } = isSnapshot;

    /// <summary>The next chunk index to send.</summary>
    public int NextChunk { get; set; }

    /// <summary>Distinct chunks the receiver has acknowledged.</summary>
    public int Acked { get; set; }

    /// <summary>When the receiver last showed progress (Environment.TickCount64).</summary>
    public long LastProgress { get; set; } = now;
}
