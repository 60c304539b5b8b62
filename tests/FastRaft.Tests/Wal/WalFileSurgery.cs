using System.Buffers.Binary;
using FastRaft.Storage.Wal;

namespace FastRaft.Tests.Wal;

/// <summary>Damage done to segment files on purpose: what operators, disks and crashes do to them.</summary>
internal static class WalFileSurgery
{
    /// <summary>The offsets of a segment's records, from the checkpoint to the end of the records.</summary>
    public static List<long> RecordStarts(string segment)
    {
        byte[] bytes = File.ReadAllBytes(segment);
        var starts = new List<long>();
        long at = WalFormat.FirstRecordOffset;
        while (at + WalFormat.RecordHeaderSize <= bytes.Length && !WalFormat.IsZero(bytes.AsSpan((int)at, WalFormat.RecordHeaderSize)))
        {
            starts.Add(at);
            at += WalFormat.RecordHeaderSize + BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)at));
        }
        return starts;
    }

    /// <summary>The offsets of a segment's records of one type.</summary>
    public static List<long> RecordsOfType(string segment, WalRecordType type)
    {
        byte[] bytes = File.ReadAllBytes(segment);
        return [.. RecordStarts(segment).Where(at => bytes[at + 4] == (byte)type)];
    }

    /// <summary>Where a segment's records end.</summary>
    public static long RecordsEnd(string segment)
    {
        List<long> starts = RecordStarts(segment);
        byte[] header = new byte[WalFormat.RecordHeaderSize];
        using var f = new FileStream(segment, FileMode.Open, FileAccess.Read);
        f.Position = starts[^1];
        f.ReadExactly(header);
        return starts[^1] + WalFormat.RecordHeaderSize + BinaryPrimitives.ReadUInt32LittleEndian(header);
    }

    /// <summary>The start of the record holding byte <paramref name="offset"/>.</summary>
    public static long RecordHolding(List<long> starts, long offset)
    {
        long found = starts[0];
        foreach (long s in starts)
        {
            if (s <= offset)
            {
                found = s;
            }
        }
        return found;
    }

    /// <summary>
    /// Where zeroing <paramref name="segment"/> from <paramref name="cut"/> on first changes a
    /// byte (records end in zero bytes at times: a hard state's last term, for one); the end of
    /// the file when nothing would change.
    /// </summary>
    public static long FirstChangedByZeroing(string segment, long cut)
    {
        byte[] bytes = File.ReadAllBytes(segment);
        int at = bytes.AsSpan((int)cut).IndexOfAnyExcept((byte)0);
        return at < 0 ? bytes.Length : cut + at;
    }

    /// <summary>The offset of the last nonzero byte before <paramref name="offset"/>.</summary>
    public static long LastDataByteBefore(string segment, long offset) =>
        File.ReadAllBytes(segment).AsSpan(0, (int)offset).LastIndexOfAnyExcept((byte)0);

    /// <summary>Zeroes [from, to) in place; the file keeps its length (what an unwritten preallocated range looks like).</summary>
    public static void Zero(string path, long from, long to)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        f.Position = from;
        f.Write(new byte[to - from]);
    }

    /// <summary>Zeroes everything from <paramref name="from"/> to the end of the file.</summary>
    public static void ZeroFrom(string path, long from) => Zero(path, from, new FileInfo(path).Length);

    /// <summary>Truncates the file to <paramref name="length"/> bytes.</summary>
    public static void CutAt(string path, long length)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        f.SetLength(length);
    }

    /// <summary>Removes [from, to): what follows moves back, zeros fill the end (the file keeps its length).</summary>
    public static void Splice(string path, long from, long to)
    {
        byte[] bytes = File.ReadAllBytes(path);
        byte[] result = new byte[bytes.Length];
        bytes.AsSpan(0, (int)from).CopyTo(result);
        bytes.AsSpan((int)to).CopyTo(result.AsSpan((int)from));
        File.WriteAllBytes(path, result);
    }

    public static void Flip(string path, long at)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        f.Position = at;
        int b = f.ReadByte();
        f.Position = at;
        f.WriteByte((byte)(b ^ 0x10));
    }

    /// <summary>The sync mark in slot 0 or 1 of a segment, or null when the slot is not valid.</summary>
    public static SyncMark? Mark(string segment, long sequence, int slot)
    {
        byte[] bytes = new byte[WalFormat.SyncMarkSize];
        using var f = new FileStream(segment, FileMode.Open, FileAccess.Read);
        f.Position = slot == 0 ? WalFormat.SyncMarkSlot0 : WalFormat.SyncMarkSlot1;
        f.ReadExactly(bytes);
        return SyncMark.TryRead(bytes, sequence, out SyncMark mark) ? mark : null;
    }

    /// <summary>The newest valid sync mark of a segment and its slot.</summary>
    public static (SyncMark Mark, int Slot) NewestMark(string segment, long sequence)
    {
        SyncMark? m0 = Mark(segment, sequence, 0);
        SyncMark? m1 = Mark(segment, sequence, 1);
        Assert.True(m0 is not null || m1 is not null, $"no valid sync mark in {segment}");
        return m0 is { } a && (m1 is not { } b || a.Generation > b.Generation) ? (a, 0) : (m1!.Value, 1);
    }
}
