using FastRaft.Hosting;
using FastRaft.Storage.Wal;

namespace FastRaft.Transport.Udp;

/// <summary>
/// A chunked message being put back together. Its bytes go straight into a batch of its own
/// (outside the pool: a large message is rare, and its buffer should not stay pinned in a pooled
/// batch afterwards), so the decoded message's views point into memory the node will own.
/// </summary>
internal sealed class Reassembly
{
    public Reassembly(Peer sender, in Wire.ChunkHeader first, long now, long deadline = long.MaxValue)
    {
        Sender = sender;
        TransferId = first.TransferId;
        TotalLength = first.TotalLength;
        ChunkSize = first.ChunkSize;
        Count = first.Count;
        MessageChecksum = first.MessageChecksum;
        Batch = new InboundBatch();
        Buffer = Batch.RentBuffer(first.TotalLength);
        _seen = new ulong[(first.Count + 63) / 64];
        LastProgress = now;
        Deadline = deadline;
    }

    private readonly ulong[] _seen;

    public Peer Sender { get; }

    public ulong TransferId { get; }

    public int TotalLength { get; }

    public int ChunkSize { get; }

    public int Count { get; }

    /// <summary>The CRC-32C every chunk of the transfer announced for the whole message.</summary>
    public uint MessageChecksum { get; }

    /// <summary>When the reassembly is abandoned even if chunks keep coming (a timestamp of the caller's clock).</summary>
    public long Deadline { get; }

    public InboundBatch Batch { get; }

    public Memory<byte> Buffer { get; }

    public int Received { get; private set; }

    public long LastProgress { get; private set; }

    public bool IsComplete => Received == Count;

    /// <summary>The lowest chunk index not yet received (<see cref="Count"/> when complete).</summary>
    public int FirstMissing { get; private set; }

    /// <summary>Which of the 64 chunks from <see cref="FirstMissing"/> on are held (bit i: chunk FirstMissing + i).</summary>
    public ulong HeldMask
    {
        get
        {
            int word = FirstMissing >> 6, bit = FirstMissing & 63;
            if (word >= _seen.Length)
            {
                return 0;
            }
            ulong mask = _seen[word] >> bit;
            if (bit != 0 && word + 1 < _seen.Length)
            {
                mask |= _seen[word + 1] << (64 - bit);
            }
            return mask;
        }
    }

    /// <summary>The acknowledgement of this transfer's progress so far.</summary>
    public Wire.ChunkAck Progress => new(TransferId, Received, Wire.ChunkAckStatus.InProgress, FirstMissing, HeldMask);

    /// <summary>Whether a chunk with this header belongs to this transfer's shape.</summary>
    public bool Matches(in Wire.ChunkHeader h) => h.TotalLength == TotalLength && h.ChunkSize == ChunkSize && h.MessageChecksum == MessageChecksum;

    /// <summary>Whether the reassembled bytes have the checksum the chunks announced (once complete).</summary>
    public bool IsIntact => Crc32C.Compute(Buffer.Span) == MessageChecksum;

    /// <summary>Copies a chunk in; false when that chunk was already there.</summary>
    public bool Add(in Wire.ChunkHeader h, ReadOnlySpan<byte> data, long now)
    {
        ref ulong word = ref _seen[h.Index / 64];
        ulong bit = 1UL << (h.Index % 64);
        if ((word & bit) != 0)
        {
            return false;
        }
        word |= bit;
        data.CopyTo(Buffer.Span[h.Offset..]);
        Received++;
        LastProgress = now;
        while (FirstMissing < Count && (_seen[FirstMissing >> 6] & (1UL << (FirstMissing & 63))) != 0)
        {
            FirstMissing++;
        }
        return true;
    }
}
