using System.Diagnostics.CodeAnalysis;
using Microsoft.Win32.SafeHandles;

namespace FastRaft.Storage.Wal;

/// <summary>What <see cref="SegmentScanner.Next"/> found.</summary>
internal enum ScanResult
{
    /// <summary>A valid record.</summary>
    Record,

    /// <summary>The end of the records: the rest of the file is zero (or there is no rest).</summary>
    End,

    /// <summary>A partially written last record: it and everything after it are discarded.</summary>
    Torn,
}

/// <summary>
/// Reads a segment's records in order during recovery, validating both checksums of each.
/// </summary>
/// <remarks>
/// A record that fails validation is a torn tail only when it is in the last segment and nothing
/// but zeros follows the bytes it claims (its header alone when the header is bad: the header
/// checksum makes the length trustworthy). Appends are the only writes, so a crash can leave a
/// damaged record only at the end of the data, followed by the preallocated zeros. A damaged
/// record with data after it, or in an older segment (synced in full before the next one was
/// started), is corruption and throws <see cref="WalCorruptionException"/>.
/// </remarks>
internal sealed class SegmentScanner(SafeFileHandle handle, string path, long length, bool isLast)
{
    private byte[] _buffer = new byte[(int)Math.Clamp(length, 4096, 1024 * 1024)];
    private long _bufferStart;
    private int _bufferLength;

    /// <summary>Where the next record starts; after End or Torn, where the next write goes.</summary>
    public long Position { get; private set; } = WalFormat.FirstRecordOffset;

    /// <summary>The offset of the record last returned.</summary>
    public long RecordOffset { get; private set; }

    /// <summary>After <see cref="ScanResult.Torn"/>: the end of the bytes the torn record may occupy.</summary>
    public long TornEnd { get; private set; }

    /// <summary>After <see cref="ScanResult.Torn"/>: why the record was judged torn.</summary>
    public string TornReason { get; private set; } = "";

    public string Path => path;

    /// <summary>Whether the record last returned begins with a group id (see <see cref="WalFormat"/>).</summary>
    public bool Tagged { get; private set; }

    /// <summary>The next record; <paramref name="body"/> is valid until the next call.</summary>
    public ScanResult Next(out WalRecordType type, out ReadOnlySpan<byte> body)
    {
        type = default;
        body = default;
        long pos = Position;
        RecordOffset = pos;
        if (pos >= length)
        {
            return ScanResult.End;
        }
        ReadOnlySpan<byte> header = Window(pos, WalFormat.RecordHeaderSize);
        if (header.Length < WalFormat.RecordHeaderSize)
        {
            return WalFormat.IsZero(header) ? ScanResult.End : TornOrCorrupt(pos, length, "record header cut off by the end of the file");
        }
        if (WalFormat.IsZero(header))
        {
            if (ZeroFrom(pos))
            {
                return ScanResult.End;
            }
            ThrowCorrupt(pos, "data after the end-of-records marker (a zeroed record header)");
        }
        if (!WalFormat.TryReadRecordHeader(header, out type, out int bodyLength, out uint bodyCrc, out bool tagged))
        {
            return TornOrCorrupt(pos, pos + WalFormat.RecordHeaderSize, "record header checksum mismatch");
        }
        long end = pos + WalFormat.RecordHeaderSize + bodyLength;
        if (end > length)
        {
            return TornOrCorrupt(pos, length, "record runs past the end of the file");
        }
        ReadOnlySpan<byte> record = Window(pos, WalFormat.RecordHeaderSize + bodyLength);
        body = record[WalFormat.RecordHeaderSize..];
        if (Crc32C.Compute(body) != bodyCrc)
        {
            body = default;
            return TornOrCorrupt(pos, end, "record checksum mismatch");
        }
        Position = end;
        Tagged = tagged;
        return ScanResult.Record;
    }

    [DoesNotReturn]
    public void ThrowCorrupt(long offset, string reason) => throw new WalCorruptionException(path, offset, reason);

    private ScanResult TornOrCorrupt(long pos, long extentEnd, string reason)
    {
        if (!isLast || !ZeroFrom(extentEnd))
        {
            ThrowCorrupt(pos, reason);
        }
        TornEnd = Math.Min(extentEnd, length);
        TornReason = reason;
        return ScanResult.Torn;
    }

    /// <summary>Up to <paramref name="count"/> bytes of the file from <paramref name="offset"/> (fewer at the end of the file).</summary>
    private ReadOnlySpan<byte> Window(long offset, int count)
    {
        if (offset < _bufferStart || offset + count > _bufferStart + _bufferLength)
        {
            if (count > _buffer.Length)
            {
                _buffer = new byte[count];
            }
            _bufferStart = offset;
            _bufferLength = DurableIo.ReadAtMost(handle, _buffer, offset);
        }
        int at = (int)(offset - _bufferStart);
        return _buffer.AsSpan(at, Math.Min(count, _bufferLength - at));
    }

    /// <summary>True when every byte from <paramref name="offset"/> to the end of the file is zero.</summary>
    private bool ZeroFrom(long offset)
    {
        for (long at = offset; at < length; at += _buffer.Length)
        {
            int n = (int)Math.Min(_buffer.Length, length - at);
            if (!WalFormat.IsZero(Window(at, n)))
            {
                return false;
            }
        }
        return true;
    }
}
