using System.Buffers.Binary;
using System.Globalization;
using FastRaft.Protocol;
using Microsoft.Win32.SafeHandles;

namespace FastRaft.Storage.Wal;

/// <summary>
/// A snapshot on disk: <c>{index:x16}-{term:x16}.snap</c> (the group of a single-group log), or
/// <c>{group:x16}-{index:x16}-{term:x16}.snap</c> (a group of a shared log), written to a temporary
/// file, synced, renamed into place and the directory synced, so it is either whole or absent.
/// </summary>
/// <remarks>
/// Layout: magic "FRWALSNP", version (u32), reserved (u32), index (u64), term (u64), length of
/// the encoded configuration (u32), reserved (u32), length of the data (u64), the configuration,
/// the data, and the CRC-32C of everything before it (u32).
/// </remarks>
internal static class SnapshotFile
{
    public const string Extension = ".snap";
    public const string TempExtension = ".snap.tmp";

    /// <summary>The snapshot file's own format version (unchanged when the segment format moved to 2).</summary>
    public const uint Version = 1;

    private const int HeaderSize = 48;
    private const int TrailerSize = 4;

    private static ReadOnlySpan<byte> Magic => "FRWALSNP"u8;

    public static string FileName(ulong index, ulong term) => FileName(0, index, term);

    public static string FileName(ulong group, ulong index, ulong term) =>
        (group == 0 ? "" : group.ToString("x16", CultureInfo.InvariantCulture) + "-")
        + index.ToString("x16", CultureInfo.InvariantCulture) + "-" + term.ToString("x16", CultureInfo.InvariantCulture) + Extension;

    public static bool TryParseName(string fileName, out ulong index, out ulong term) =>
        TryParseName(fileName, out ulong group, out index, out term) && group == 0;

    /// <summary>Parses a snapshot file name of any group (zero for the single-group name).</summary>
    public static bool TryParseName(string fileName, out ulong group, out ulong index, out ulong term)
    {
        group = index = term = 0;
        if (!fileName.EndsWith(Extension, StringComparison.Ordinal))
        {
            return false;
        }
        ReadOnlySpan<char> name = fileName.AsSpan(0, fileName.Length - Extension.Length);
        if (name.Length == 50)
        {
            if (name[16] != '-' || !ulong.TryParse(name[..16], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out group) || group == 0)
            {
                return false;
            }
            name = name[17..];
        }
        return name.Length == 33
            && name[16] == '-'
            && ulong.TryParse(name[..16], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out index)
            && ulong.TryParse(name[17..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out term);
    }

    /// <summary>Writes <paramref name="snapshot"/> durably into <paramref name="directory"/>; returns its path.</summary>
    public static string Write(string directory, ulong group, Snapshot snapshot)
    {
        SnapshotMetadata m = snapshot.Metadata;
        string path = Path.Combine(directory, FileName(group, m.Index, m.Term));
        string temp = path + ".tmp";
        int confLength = ConfStateCodec.Size(m.ConfState);
        byte[] head = new byte[HeaderSize + confLength];
        Magic.CopyTo(head);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(8), Version);
        BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(16), m.Index);
        BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(24), m.Term);
        BinaryPrimitives.WriteInt32LittleEndian(head.AsSpan(32), confLength);
        BinaryPrimitives.WriteInt64LittleEndian(head.AsSpan(40), snapshot.Data.Length);
        ConfStateCodec.Write(head.AsSpan(HeaderSize), m.ConfState);
        ReadOnlySpan<byte> data = snapshot.Data.Span;
        byte[] trailer = new byte[TrailerSize];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, ~Crc32C.Update(Crc32C.Update(~0u, head), data));

        using (SafeFileHandle file = File.OpenHandle(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            RandomAccess.Write(file, head, 0);
            RandomAccess.Write(file, data, head.Length);
            RandomAccess.Write(file, trailer, head.Length + (long)data.Length);
            DurableIo.SyncData(file);
        }
        File.Move(temp, path, overwrite: true);
        DurableIo.SyncDirectory(directory);
        return path;
    }

    /// <summary>Reads and validates the snapshot at <paramref name="path"/>, which must be at (index, term).</summary>
    public static Snapshot Read(string path, ulong index, ulong term)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException e)
        {
            throw new WalCorruptionException(path, 0, $"the snapshot the log refers to is missing ({e.Message})");
        }
        if (bytes.Length < HeaderSize + TrailerSize || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw new WalCorruptionException(path, 0, "not a snapshot file (bad magic or too short)");
        }
        int crcAt = bytes.Length - TrailerSize;
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(crcAt)) != Crc32C.Compute(bytes.AsSpan(0, crcAt)))
        {
            throw new WalCorruptionException(path, crcAt, "snapshot checksum mismatch");
        }
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        if (version != Version)
        {
            throw new WalCorruptionException(path, 8, $"unsupported snapshot format version {version}");
        }
        ulong fileIndex = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16));
        ulong fileTerm = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(24));
        int confLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(32));
        long dataLength = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(40));
        if (fileIndex != index || fileTerm != term)
        {
            throw new WalCorruptionException(path, 16, $"snapshot is at index {fileIndex} term {fileTerm}, the log expects index {index} term {term}");
        }
        if (confLength < 0 || dataLength < 0 || (long)HeaderSize + confLength + dataLength != crcAt
            || !ConfStateCodec.TryRead(bytes.AsSpan(HeaderSize, confLength), out ConfState cs, out int consumed) || consumed != confLength)
        {
            throw new WalCorruptionException(path, 32, "malformed snapshot header");
        }
        var data = new ReadOnlyMemory<byte>(bytes, HeaderSize + confLength, (int)dataLength);
        return new Snapshot(data, new SnapshotMetadata(cs, index, term));
    }
}
