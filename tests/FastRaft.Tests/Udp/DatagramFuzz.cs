using System.Buffers.Binary;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;
using FastRaft.Transport.Udp.Wire;

namespace FastRaft.Tests.Udp;

/// <summary>
/// Endless datagrams for node 2 of cluster 77 (peers 1 and 3): random bytes, random bytes behind a
/// valid magic, mutated valid datagrams, and well-formed sealed ones with hostile fields (chunks with
/// extreme transfer ids, lengths, chunk sizes and indexes; forged transfers sent chunk by chunk
/// that complete with a wrong checksum or undecodable content; acks; messages). Sealed with the
/// key when given (a peer that holds it), else with the CRC-32C anyone can compute. Seeded.
/// </summary>
internal sealed class DatagramFuzz
{
    private static readonly ulong[] ExtremeIds = [0, 1, ulong.MaxValue, ulong.MaxValue - 1, 1UL << 63, (1UL << 63) - 1];

    private readonly Random _rng;
    private readonly byte[]? _key;
    private readonly int _maxDatagram;
    private readonly int _maxMessage;
    private readonly int _chunkMax;
    private readonly ulong[] _idPool;
    private readonly ForgedTransfer[] _transfers = new ForgedTransfer[4];
    private ulong _sequence;

    public DatagramFuzz(Random rng, byte[]? key, int maxDatagram, int maxMessage)
    {
        _rng = rng;
        _key = key;
        _maxDatagram = maxDatagram;
        _maxMessage = maxMessage;
        int trailer = key is null ? DatagramChecksum.Size : DatagramAuthenticator.MacSize;
        _chunkMax = maxDatagram - DatagramHeader.Size - ChunkHeader.Size - trailer;
        _idPool = new ulong[16];
        for (int i = 0; i < _idPool.Length; i++)
        {
            _idPool[i] = (ulong)rng.NextInt64();
        }
        for (int i = 0; i < _transfers.Length; i++)
        {
            _transfers[i] = NewTransfer();
        }
    }

    public byte[] Next()
    {
        int roll = _rng.Next(100);
        return roll switch
        {
            < 10 => RandomBytes(),
            < 20 => RandomAfterMagic(),
            < 32 => Mutate(Messages()),
            < 45 => Mutate(Chunk()),
            < 72 => Chunk(),
            < 84 => ForgedTransferChunk(),
            < 93 => Ack(),
            _ => Messages(),
        };
    }

    private byte[] RandomBytes()
    {
        var d = new byte[_rng.Next(1, _maxDatagram + 100)];
        _rng.NextBytes(d);
        return d;
    }

    private byte[] RandomAfterMagic()
    {
        var d = new byte[_rng.Next(DatagramHeader.Size, _maxDatagram)];
        _rng.NextBytes(d);
        BinaryPrimitives.WriteUInt32LittleEndian(d, DatagramHeader.Magic);
        d[4] = DatagramHeader.Version;
        d[5] = (byte)_rng.Next(0, 5);
        d[6] = (byte)_rng.Next(0, 4);
        d[7] = 0;
        return d;
    }

    private byte[] Mutate(byte[] d)
    {
        switch (_rng.Next(3))
        {
            case 0:
                for (int k = _rng.Next(1, 4); k > 0; k--)
                {
                    d[_rng.Next(d.Length)] ^= (byte)(1 << _rng.Next(8));
                }
                return d;
            case 1:
                return d[.._rng.Next(d.Length)];
            default:
                var longer = new byte[Math.Min(d.Length + _rng.Next(1, 64), _maxDatagram)];
                d.CopyTo(longer, 0);
                _rng.NextBytes(longer.AsSpan(d.Length));
                return longer;
        }
    }

    private byte[] Messages()
    {
        ulong sender = Sender();
        var messages = new Message[_rng.Next(1, 4)];
        for (int i = 0; i < messages.Length; i++)
        {
            ulong to = _rng.Next(20) == 0 ? 3UL : 2UL;
            messages[i] = new Message(MessageType.Heartbeat, sender, to, (ulong)_rng.Next(1, 1_000_000)) { Commit = (ulong)_rng.Next(1000) };
        }
        return Seal(DatagramKind.Messages, DatagramForge.Batch(messages), sender);
    }

    private byte[] Chunk()
    {
        ulong id = TransferId();
        int total = TotalLength();
        int chunkSize = ChunkSize();
        int count = total > 0 && chunkSize > 0 ? ChunkHeader.CountFor(total, chunkSize) : _rng.Next(1, 100);
        int index = _rng.Next(50) == 0 ? count + _rng.Next(3) : _rng.Next(Math.Max(1, count));
        var h = new ChunkHeader(id, total, chunkSize, index, count, (uint)_rng.NextInt64());
        int length = total > 0 && chunkSize > 0 && index < count ? h.ExpectedLength : _rng.Next(_chunkMax);
        if (length < 0 || length > _chunkMax)
        {
            length = _rng.Next(_chunkMax); // a header whose data cannot fit: the length disagrees
        }
        var data = new byte[length];
        _rng.NextBytes(data);
        ulong sender = Sender();
        return Seal(DatagramKind.Chunk, DatagramForge.Chunk(in h, data), sender);
    }

    /// <summary>The next chunk of one of a few forged transfers that arrive whole: with a wrong checksum, or a right one over bytes that do not decode.</summary>
    private byte[] ForgedTransferChunk()
    {
        int slot = _rng.Next(_transfers.Length);
        ForgedTransfer t = _transfers[slot];
        var h = new ChunkHeader(t.Id, t.Message.Length, _chunkMax, t.Next, t.Count, t.Checksum);
        byte[] body = DatagramForge.Chunk(in h, t.Message.AsSpan(h.Offset, h.ExpectedLength));
        t.Next++;
        if (t.Next == t.Count)
        {
            _transfers[slot] = NewTransfer();
        }
        return Seal(DatagramKind.Chunk, body, 1);
    }

    private ForgedTransfer NewTransfer()
    {
        var message = new byte[_rng.Next(1, 20 * _chunkMax)];
        _rng.NextBytes(message);
        uint checksum = _rng.Next(2) == 0 ? Crc32C.Compute(message) : (uint)_rng.NextInt64();
        return new ForgedTransfer(TransferId(), message, checksum, ChunkHeader.CountFor(message.Length, _chunkMax));
    }

    private byte[] Ack()
    {
        var body = new byte[_rng.Next(10) == 0 ? _rng.Next(40) : ChunkAck.Size];
        _rng.NextBytes(body);
        if (body.Length == ChunkAck.Size)
        {
            new ChunkAck(TransferId(), _rng.Next(-5, 5000), (ChunkAckStatus)_rng.Next(4), _rng.Next(-5, 5000), (ulong)_rng.NextInt64()).Write(body);
        }
        return Seal(DatagramKind.ChunkAck, body, Sender());
    }

    private byte[] Seal(DatagramKind kind, byte[] body, ulong sender)
    {
        ulong cluster = _rng.Next(40) == 0 ? 78UL : 77UL;
        ulong receiver = _rng.Next(40) == 0 ? 3UL : 2UL;
        return DatagramForge.Build(kind, ++_sequence, body, _key, cluster, sender, receiver);
    }

    private ulong Sender() => _rng.Next(100) switch
    {
        < 90 => 1,
        < 96 => 3,
        _ => 9, // not a peer
    };

    private ulong TransferId() => _rng.Next(10) switch
    {
        < 3 => ExtremeIds[_rng.Next(ExtremeIds.Length)],
        < 7 => ((ulong)_rng.NextInt64() << 1) + (_rng.Next(2) == 0 ? 0UL : 1UL),
        _ => _idPool[_rng.Next(_idPool.Length)],
    };

    private int TotalLength() => _rng.Next(20) switch
    {
        < 10 => _rng.Next(1, 64 * 1024),
        < 14 => _rng.Next(1, _maxMessage + 1),
        15 => _maxMessage,
        16 => _rng.Next(_maxMessage + 1, int.MaxValue),
        17 => _rng.Next(int.MinValue, 1),
        _ => _chunkMax * _rng.Next(1, 40),
    };

    private int ChunkSize() => _rng.Next(20) switch
    {
        < 14 => _chunkMax,
        < 17 => _rng.Next(ChunkHeader.MinChunkSize, _chunkMax + 1),
        _ => _rng.Next(int.MinValue, int.MaxValue),
    };

    private sealed class ForgedTransfer(ulong id, byte[] message, uint checksum, int count)
    {
        public ulong Id { get; } = id;

        public byte[] Message { get; } = message;

        public uint Checksum { get; } = checksum;

        public int Count { get; } = count;

        public int Next { get; set; }
    }
}
