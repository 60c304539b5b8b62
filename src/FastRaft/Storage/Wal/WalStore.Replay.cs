using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace FastRaft.Storage.Wal;

/// <summary>Replay of one segment's records into their groups, with the checks that need only that segment and its predecessor.</summary>
internal sealed partial class WalStore
{
    // How many replayed records between epoch advances of the cache arenas: nothing has been
    // handed out while opening, so evicted chunks can be recycled at once.
    private const int RecordsPerReplayEpoch = 1024;

    private void ReplaySegment(long sequence, bool isFirst, bool isLast, ReplayState replay)
    {
        string path = SegmentPath(sequence);
        SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, isLast ? FileAccess.ReadWrite : FileAccess.Read, FileShare.Read | FileShare.Delete);
        try
        {
            long length = RandomAccess.GetLength(handle);
            Span<byte> area = stackalloc byte[WalFormat.FirstRecordOffset];
            area = area[..DurableIo.ReadAtMost(handle, area, 0)];
            if (!SegmentHeader.TryRead(area, sequence, out SegmentHeader header, out string problem))
            {
                throw new WalCorruptionException(path, 0, problem);
            }
            if (length < header.PreallocatedSize)
            {
                throw new WalCorruptionException(path, length,
                    $"the file ends here but was preallocated to {header.PreallocatedSize} bytes: it was cut (a crash never shortens a preallocated segment), "
                    + $"so whatever was recorded from offset {length} on is lost");
            }
            if (!isFirst)
            {
                CheckPreviousSegmentEnd(header, path, replay);
            }
            if (!SyncMark.TryReadNewest(area, sequence, out SyncMark mark))
            {
                throw new WalCorruptionException(path, WalFormat.SyncMarkSlot0,
                    "both sync-mark slots of the segment header are damaged: how far its synced records reach is unknown");
            }

            var scanner = new SegmentScanner(handle, path, length, isLast);
            var file = new SegmentFile(sequence, path, handle);
            ScanResult result = ScanResult.End;
            for (int c = 0; c < header.CheckpointCount; c++)
            {
                result = scanner.Next(out WalRecordType ctype, out ReadOnlySpan<byte> cbody);
                if (result != ScanResult.Record || ctype != WalRecordType.Checkpoint
                    || !TrySplitGroup(scanner.Tagged, cbody, out ulong group, out ReadOnlySpan<byte> checkpointBody)
                    || !WalRecordReader.TryReadCheckpoint(checkpointBody, out WalCheckpoint checkpoint))
                {
                    throw new WalCorruptionException(path, scanner.RecordOffset,
                        c == 0 ? "segment does not begin with a valid checkpoint" : $"segment does not begin with the {header.CheckpointCount} valid checkpoints its header counts");
                }
                WalGroup g = GroupLocked(group);
                if (!isFirst && g.Replay is null)
                {
                    scanner.ThrowCorrupt(scanner.RecordOffset, $"checkpoint of group {group}, of which no earlier record was replayed");
                }
                if (file.StartLastIndex.ContainsKey(group))
                {
                    scanner.ThrowCorrupt(scanner.RecordOffset, $"second checkpoint of group {group} in one segment");
                }
                g.ReplayCheckpoint(scanner, checkpoint, isFirst, sequence);
                file.StartLastIndex[group] = checkpoint.LastIndex;
                replay.Records++;
            }
            _segments.Add(file);
            _firstRecordEnd = scanner.Position;
            while ((result = scanner.Next(out WalRecordType type, out ReadOnlySpan<byte> body)) == ScanResult.Record)
            {
                if (!TrySplitGroup(scanner.Tagged, body, out ulong group, out ReadOnlySpan<byte> groupBody))
                {
                    scanner.ThrowCorrupt(scanner.RecordOffset, "tagged record of group 0");
                }
                if (type == WalRecordType.Checkpoint)
                {
                    scanner.ThrowCorrupt(scanner.RecordOffset, "checkpoint record in the middle of a segment");
                }
                GroupLocked(group).ReplayRecord(scanner, sequence, type, groupBody);
                if (++replay.Records % RecordsPerReplayEpoch == 0)
                {
                    foreach (WalGroup g in _groupList)
                    {
                        g.AdvanceReplayEpoch();
                    }
                }
            }
            long end = scanner.Position;
            if (end < mark.SyncedThrough)
            {
                ThrowSyncedRecordsLost(path, end, mark, result == ScanResult.Torn ? scanner.TornReason : null);
            }
            if (result == ScanResult.Torn)
            {
                replay.Torn = new WalTornTail(path, end, scanner.TornEnd - end, scanner.TornReason);
            }
            _writeOffset = end;
            replay.SegmentPath = path;
            replay.SegmentEnd = end;
            replay.Mark = mark;
        }
        catch
        {
            if (_segments.Count == 0 || _segments[^1].Handle != handle)
            {
                handle.Dispose();
            }
            throw;
        }
    }

    /// <summary>A tagged body's group id and the rest; an untagged body is group zero's. False for a tag naming group zero.</summary>
    private static bool TrySplitGroup(bool tagged, ReadOnlySpan<byte> body, out ulong group, out ReadOnlySpan<byte> rest)
    {
        if (!tagged)
        {
            group = 0;
            rest = body;
            return true;
        }
        group = BinaryPrimitives.ReadUInt64LittleEndian(body);
        rest = body[WalFormat.GroupIdSize..];
        return group != 0;
    }

    /// <summary>
    /// A segment is started only once its predecessor is complete and synced, and its header
    /// records where the predecessor's records end: the predecessor must end exactly there.
    /// </summary>
    private static void CheckPreviousSegmentEnd(in SegmentHeader header, string path, ReplayState replay)
    {
        long recorded = header.PreviousSegmentEnd;
        if (replay.SegmentEnd < recorded)
        {
            throw new WalCorruptionException(replay.SegmentPath, replay.SegmentEnd,
                $"the valid records end here, but {Path.GetFileName(path)}, started once this segment was complete and synced, records that they reached offset {recorded}: "
                + "synced records are missing (the file was cut, zeroed or overwritten)");
        }
        if (replay.SegmentEnd > recorded)
        {
            throw new WalCorruptionException(replay.SegmentPath, recorded,
                $"records continue past this offset, where {Path.GetFileName(path)} records that this segment ended (up to {replay.SegmentEnd})");
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowSyncedRecordsLost(string path, long end, SyncMark mark, string? tornReason) =>
        throw new WalCorruptionException(path, end,
            $"the valid records end here{(tornReason is null ? "" : " (" + tornReason + ")")}, but a completed sync had reached offset {mark.SyncedThrough}: "
            + "records that were synced, and may have been acknowledged, are damaged or missing "
            + "(the segment was cut or overwritten; a crash tears only what follows the last sync)");

    private sealed class ReplayState
    {
        public long Records;
        public WalTornTail? Torn;

        /// <summary>The segment replayed last, where its valid records end, and its newest sync mark.</summary>
        public string SegmentPath = "";
        public long SegmentEnd;
        public SyncMark Mark;
    }
}

/// <summary>What replay learns of one group besides its state: its snapshot, and whether the segments before the first one present were dead for it.</summary>
internal sealed class WalGroupReplay
{
    public bool HasSnapshot;
    public ulong SnapshotIndex;
    public ulong SnapshotTerm;

    /// <summary>Where the group's log stood when the oldest segment present began, and whether a record since then made everything before it dead.</summary>
    public ulong FirstCheckpointLastIndex;
    public bool OlderSegmentsDead = true;
}
