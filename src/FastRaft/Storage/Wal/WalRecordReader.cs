using System.Buffers.Binary;
using FastRaft.Protocol;

namespace FastRaft.Storage.Wal;

/// <summary>Decodes record bodies (the inverse of <see cref="WalWriteBuffer"/>). False means malformed.</summary>
internal static class WalRecordReader
{
    /// <summary>Hard state, snapshot flag, snapshot/dummy/last index and term, before the configuration.</summary>
    public const int CheckpointFixedSize = WalFormat.HardStateSize + 1 + 6 * 8;

    public static bool TryReadEntry(ReadOnlySpan<byte> body, out ulong term, out ulong index, out EntryType type, out ReadOnlySpan<byte> payload)
    {
        if (body.Length < WalFormat.EntryFixedSize || body[16] > (byte)EntryType.ConfChangeV2)
        {
            term = index = 0;
            type = EntryType.Normal;
            payload = default;
            return false;
        }
        term = BinaryPrimitives.ReadUInt64LittleEndian(body);
        index = BinaryPrimitives.ReadUInt64LittleEndian(body[8..]);
        type = (EntryType)body[16];
        payload = body[WalFormat.EntryFixedSize..];
        return true;
    }

    /// <summary>A HardState record: the hard state and the log's last index and term when it was written.</summary>
    public static bool TryReadHardState(ReadOnlySpan<byte> body, out HardState hs, out ulong lastIndex, out ulong lastTerm)
    {
        if (body.Length != WalFormat.HardStateRecordBodySize)
        {
            hs = default;
            lastIndex = lastTerm = 0;
            return false;
        }
        hs = ReadHardState(body);
        lastIndex = BinaryPrimitives.ReadUInt64LittleEndian(body[WalFormat.HardStateSize..]);
        lastTerm = BinaryPrimitives.ReadUInt64LittleEndian(body[(WalFormat.HardStateSize + 8)..]);
        return true;
    }

    public static bool TryReadConfState(ReadOnlySpan<byte> body, out ConfState cs) =>
        ConfStateCodec.TryRead(body, out cs, out int consumed) && consumed == body.Length;

    public static bool TryReadSnapshot(ReadOnlySpan<byte> body, out SnapshotMetadata metadata)
    {
        metadata = SnapshotMetadata.Empty;
        if (body.Length < WalFormat.IndexTermSize
            || !ConfStateCodec.TryRead(body[WalFormat.IndexTermSize..], out ConfState cs, out int consumed)
            || consumed != body.Length - WalFormat.IndexTermSize)
        {
            return false;
        }
        metadata = new SnapshotMetadata(cs, BinaryPrimitives.ReadUInt64LittleEndian(body), BinaryPrimitives.ReadUInt64LittleEndian(body[8..]));
        return true;
    }

    public static bool TryReadIndexTerm(ReadOnlySpan<byte> body, out ulong index, out ulong term)
    {
        if (body.Length != WalFormat.IndexTermSize)
        {
            index = term = 0;
            return false;
        }
        index = BinaryPrimitives.ReadUInt64LittleEndian(body);
        term = BinaryPrimitives.ReadUInt64LittleEndian(body[8..]);
        return true;
    }

    public static bool TryReadCheckpoint(ReadOnlySpan<byte> body, out WalCheckpoint checkpoint)
    {
        checkpoint = default;
        if (body.Length < CheckpointFixedSize || body[24] > 1
            || !ConfStateCodec.TryRead(body[CheckpointFixedSize..], out ConfState cs, out int consumed)
            || consumed != body.Length - CheckpointFixedSize)
        {
            return false;
        }
        checkpoint = new WalCheckpoint(
            ReadHardState(body),
            cs,
            body[24] == 1,
            BinaryPrimitives.ReadUInt64LittleEndian(body[25..]),
            BinaryPrimitives.ReadUInt64LittleEndian(body[33..]),
            BinaryPrimitives.ReadUInt64LittleEndian(body[41..]),
            BinaryPrimitives.ReadUInt64LittleEndian(body[49..]),
            BinaryPrimitives.ReadUInt64LittleEndian(body[57..]),
            BinaryPrimitives.ReadUInt64LittleEndian(body[65..]));
        return checkpoint.DummyIndex <= checkpoint.LastIndex;
    }

    private static HardState ReadHardState(ReadOnlySpan<byte> body) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(body),
        BinaryPrimitives.ReadUInt64LittleEndian(body[8..]),
        BinaryPrimitives.ReadUInt64LittleEndian(body[16..]));
}
