using System.Buffers.Binary;

namespace FastRaft.Simulation.Kv;

public enum KvCommandKind : byte
{
    Put = 1,
    CompareAndSet = 2,
}

/// <summary>
/// A write of the key-value state machine as it travels in a log entry. The client id and
/// sequence number let the state machine apply each client operation at most once, whatever
/// the network duplicates.
/// </summary>
public readonly record struct KvCommand(KvCommandKind Kind, int Client, ulong Seq, int Key, ulong Value, ulong Expected)
{
    public const int EncodedSize = 30;

    public byte[] Encode()
    {
        var b = new byte[EncodedSize];
        b[0] = (byte)Kind;
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(1), Client);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(5), Seq);
        b[13] = (byte)Key;
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(14), Value);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(22), Expected);
        return b;
    }

    /// <summary>Decodes an entry payload; false when it is not a well-formed command.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> b, out KvCommand cmd)
    {
        cmd = default;
        if (b.Length != EncodedSize || b[0] is not ((byte)KvCommandKind.Put or (byte)KvCommandKind.CompareAndSet))
        {
            return false;
        }
        cmd = new KvCommand(
            (KvCommandKind)b[0],
            BinaryPrimitives.ReadInt32LittleEndian(b[1..]),
            BinaryPrimitives.ReadUInt64LittleEndian(b[5..]),
            b[13],
            BinaryPrimitives.ReadUInt64LittleEndian(b[14..]),
            BinaryPrimitives.ReadUInt64LittleEndian(b[22..]));
        return true;
    }
}
