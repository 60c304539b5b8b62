using FastRaft.Core.Storage;
using FastRaft.Protocol;
using Microsoft.Win32.SafeHandles;

namespace FastRaft.Storage.Wal;

public sealed partial class WalGroup
{
    private const int ReadBufferSize = 64 * 1024;

    /// <summary>
    /// Appends entries [lo, hi) to <paramref name="destination"/> within <paramref name="maxSize"/>
    /// (at least one), with MemoryStorage's statuses. Cached entries are served from memory; older
    /// ones are read back from their segments in contiguous runs and their checksums verified (a
    /// mismatch throws <see cref="WalCorruptionException"/>).
    /// </summary>
    public StorageStatus Entries(ulong lo, ulong hi, ulong maxSize, EntryBuffer destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        lock (_gate)
        {
            _store.ThrowIfUnusable();
            if (lo <= _index.DummyIndex)
            {
                return StorageStatus.Compacted;
            }
            if (hi > _index.LastIndex + 1 || lo > hi || _index.Count == 0)
            {
                return StorageStatus.Unavailable;
            }
            ulong end = lo + CountWithinSize(lo, hi, maxSize);
            try
            {
                ulong i = lo;
                while (i < end)
                {
                    if (_index.IsCached(i))
                    {
                        destination.Add(in _index.At(i).Entry);
                        i++;
                    }
                    else
                    {
                        i = ReadFromSegments(i, Math.Min(end, _index.CacheFrom), destination);
                    }
                }
            }
            catch (Exception e) when (WalStore.IsIoFailure(e))
            {
                throw _store.FailUnlocked(e);
            }
            return StorageStatus.Ok;
        }
    }

    /// <summary>etcd's limitSize over [lo, hi) computed from the index: the first entry always, then while the total fits.</summary>
    private ulong CountWithinSize(ulong lo, ulong hi, ulong maxSize)
    {
        if (lo == hi)
        {
            return 0;
        }
        ulong size = 0;
        ulong n = 0;
        for (ulong i = lo; i < hi; i++)
        {
            ref readonly WalSlot s = ref _index.At(i);
            size += WireSize.EntrySize(s.Entry.Term, i, s.Entry.Type, s.PayloadLength);
            if (n > 0 && size > maxSize)
            {
                break;
            }
            n++;
        }
        return n;
    }

    /// <summary>
    /// Reads the uncached entries from <paramref name="from"/> (before <paramref name="limit"/>)
    /// whose records lie back to back in one segment, with one read; returns the next index.
    /// </summary>
    private ulong ReadFromSegments(ulong from, ulong limit, EntryBuffer destination)
    {
        byte[] buffer = _readBuffer ??= new byte[ReadBufferSize];
        ref readonly WalSlot first = ref _index.At(from);
        long segment = first.Segment;
        long start = first.Offset;
        long runEnd = start + RecordSize(first);
        ulong next = from + 1;
        while (next < limit)
        {
            ref readonly WalSlot s = ref _index.At(next);
            if (s.Segment != segment || s.Offset != runEnd || runEnd + RecordSize(s) - start > buffer.Length)
            {
                break;
            }
            runEnd += RecordSize(s);
            next++;
        }
        int length = (int)(runEnd - start);
        if (length > buffer.Length)
        {
            // A single record larger than the buffer.
            _readBuffer = buffer = new byte[length];
        }
        SafeFileHandle handle = _store.SegmentHandle(segment, out string path);
        Span<byte> run = buffer.AsSpan(0, length);
        int read = DurableIo.ReadAtMost(handle, run, start);
        if (read < length)
        {
            throw new WalCorruptionException(path, start + read, "segment ends inside an entry record being read back");
        }
        int prefix = WalFormat.GroupPrefix(GroupId);
        int at = 0;
        for (ulong i = from; i < next; i++)
        {
            ref readonly WalSlot s = ref _index.At(i);
            int size = (int)RecordSize(s);
            ReadOnlySpan<byte> record = run.Slice(at, size);
            ReadOnlySpan<byte> body = record[WalFormat.RecordHeaderSize..];
            if (!WalFormat.TryReadRecordHeader(record, out WalRecordType type, out int bodyLength, out uint bodyCrc, out bool tagged)
                || type != WalRecordType.Entry || bodyLength != body.Length || tagged != (prefix != 0) || Crc32C.Compute(body) != bodyCrc
                || (prefix != 0 && System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(body) != GroupId)
                || !WalRecordReader.TryReadEntry(body[prefix..], out ulong term, out ulong index, out EntryType entryType, out ReadOnlySpan<byte> payload)
                || term != s.Entry.Term || index != i || entryType != s.Entry.Type)
            {
                throw new WalCorruptionException(path, s.Offset, $"entry {i} read back from the segment is damaged or not the one indexed");
            }
            destination.Add(new Entry(term, index, entryType, _readArena.Append(payload, out _)));
            at += size;
        }
        _entriesReadFromDisk += (long)(next - from);
        return next;
    }
}
