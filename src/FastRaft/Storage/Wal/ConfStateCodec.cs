using System.Buffers.Binary;
using FastRaft.Protocol;

namespace FastRaft.Storage.Wal;

/// <summary>
/// The WAL's encoding of a <see cref="ConfState"/>: auto-leave (u8), the counts of voters,
/// learners, outgoing voters and next learners (u32 each), then the ids (u64 each) in that order.
/// </summary>
internal static class ConfStateCodec
{
    private const int FixedSize = 1 + 4 * 4;

    public static int Size(ConfState cs) =>
        FixedSize + 8 * (cs.Voters.Length + cs.Learners.Length + cs.VotersOutgoing.Length + cs.LearnersNext.Length);

    /// <summary>Writes <paramref name="cs"/> at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Write(Span<byte> destination, ConfState cs)
    {
        destination[0] = cs.AutoLeave ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32LittleEndian(destination[1..], cs.Voters.Length);
        BinaryPrimitives.WriteInt32LittleEndian(destination[5..], cs.Learners.Length);
        BinaryPrimitives.WriteInt32LittleEndian(destination[9..], cs.VotersOutgoing.Length);
        BinaryPrimitives.WriteInt32LittleEndian(destination[13..], cs.LearnersNext.Length);
        int at = FixedSize;
        at = WriteIds(destination, at, cs.Voters);
        at = WriteIds(destination, at, cs.Learners);
        at = WriteIds(destination, at, cs.VotersOutgoing);
        return WriteIds(destination, at, cs.LearnersNext);
    }

    /// <summary>Reads a configuration from the start of <paramref name="source"/>; false when it is malformed.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out ConfState cs, out int consumed)
    {
        cs = ConfState.Empty;
        consumed = 0;
        if (source.Length < FixedSize || source[0] > 1)
        {
            return false;
        }
        Span<uint> counts = stackalloc uint[4];
        long total = 0;
        for (int k = 0; k < 4; k++)
        {
            counts[k] = BinaryPrimitives.ReadUInt32LittleEndian(source[(1 + 4 * k)..]);
            total += counts[k];
        }
        if (total * 8 > source.Length - FixedSize)
        {
            return false;
        }
        int at = FixedSize;
        ulong[] voters = ReadIds(source, ref at, (int)counts[0]);
        ulong[] learners = ReadIds(source, ref at, (int)counts[1]);
        ulong[] outgoing = ReadIds(source, ref at, (int)counts[2]);
        ulong[] next = ReadIds(source, ref at, (int)counts[3]);
        cs = new ConfState { Voters = voters, Learners = learners, VotersOutgoing = outgoing, LearnersNext = next, AutoLeave = source[0] == 1 };
        consumed = at;
        return true;
    }

    private static int WriteIds(Span<byte> destination, int at, ulong[] ids)
    {
        foreach (ulong id in ids)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination[at..], id);
            at += 8;
        }
        return at;
    }

    private static ulong[] ReadIds(ReadOnlySpan<byte> source, ref int at, int count)
    {
        if (count == 0)
        {
            return [];
        }
        var ids = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            ids[i] = BinaryPrimitives.ReadUInt64LittleEndian(source[at..]);
            at += 8;
        }
        return ids;
    }
}
