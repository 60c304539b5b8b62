using System.Globalization;
using FastRaft.Protocol;
using Microsoft.Win32.SafeHandles;

namespace FastRaft.Storage.Wal;

/// <summary>Replay of one segment's records into the index and state, with the checks that need only that segment and its predecessor.</summary>
public sealed partial class WriteAheadLog
{
    // How many replayed records between epoch advances of the cache arena: nothing has been
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
            if (scanner.Next(out WalRecordType type, out ReadOnlySpan<byte> body) != ScanResult.Record
                || type != WalRecordType.Checkpoint || !WalRecordReader.TryReadCheckpoint(body, out WalCheckpoint checkpoint))
            {
                throw new WalCorruptionException(path, WalFormat.FirstRecordOffset, "segment does not begin with a valid checkpoint");
            }
            StartFromCheckpoint(scanner, checkpoint, isFirst, sequence, replay);
            _segments.Add(new SegmentFile(sequence, path, handle, checkpoint.LastIndex));
            replay.Records++;
            _firstRecordEnd = scanner.Position;
            ScanResult result;
            while ((result = scanner.Next(out type, out body)) == ScanResult.Record)
            {
                ApplyRecord(scanner, sequence, type, body, replay);
                if (++replay.Records % RecordsPerReplayEpoch == 0)
                {
                    _index.AdvanceEpoch();
                    _index.AdvanceEpoch();
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

    /// <summary>
    /// The first segment's checkpoint is the base state. Its log starts after its last entry:
    /// older entries were in deleted segments, and deletion waited until they were all compacted,
    /// so replay ends with a dummy at or past this point. Later checkpoints must agree with replay.
    /// </summary>
    private void StartFromCheckpoint(SegmentScanner scanner, in WalCheckpoint checkpoint, bool isFirst, long sequence, ReplayState replay)
    {
        if (!isFirst)
        {
            if (checkpoint.HardState != _hardState)
            {
                scanner.ThrowCorrupt(scanner.RecordOffset, "checkpoint disagrees with the hard state replayed before it");
            }
            return;
        }
        _hardState = checkpoint.HardState;
        _confState = checkpoint.ConfState;
        replay.HasSnapshot = checkpoint.HasSnapshot;
        replay.SnapshotIndex = checkpoint.SnapshotIndex;
        replay.SnapshotTerm = checkpoint.SnapshotTerm;
        replay.FirstCheckpointLastIndex = checkpoint.LastIndex;
        replay.OlderSegmentsDead = sequence == 1 || checkpoint.DummyIndex == checkpoint.LastIndex;
        _index.Reset(checkpoint.LastIndex, checkpoint.LastTerm);
    }

    private void ApplyRecord(SegmentScanner scanner, long sequence, WalRecordType type, ReadOnlySpan<byte> body, ReplayState replay)
    {
        long offset = scanner.RecordOffset;
        switch (type)
        {
            case WalRecordType.Entry:
                if (!WalRecordReader.TryReadEntry(body, out ulong term, out ulong index, out EntryType entryType, out ReadOnlySpan<byte> payload))
                {
                    scanner.ThrowCorrupt(offset, "malformed entry record");
                }
                if (index <= _index.DummyIndex)
                {
                    // Only after deleted segments: the entry rewrote history older than the
                    // replay's starting point, so everything after that point was cut too.
                    _index.TruncateAfter(_index.DummyIndex);
                    return;
                }
                if (index > _index.LastIndex + 1)
                {
                    scanner.ThrowCorrupt(offset, $"entry {index} leaves a gap after entry {_index.LastIndex}");
                }
                _index.TruncateAfter(index - 1);
                _index.Append(term, index, entryType, payload, sequence, offset);
                return;
            case WalRecordType.HardState:
                if (!WalRecordReader.TryReadHardState(body, out HardState hs, out ulong writtenLast, out ulong writtenLastTerm))
                {
                    scanner.ThrowCorrupt(offset, "malformed hard state record");
                }
                CheckLogAtHardState(scanner, hs, writtenLast, writtenLastTerm);
                _hardState = hs;
                return;
            case WalRecordType.ConfState:
                if (!WalRecordReader.TryReadConfState(body, out ConfState cs))
                {
                    scanner.ThrowCorrupt(offset, "malformed configuration record");
                }
                _confState = cs;
                return;
            case WalRecordType.SnapshotApplied:
            case WalRecordType.SnapshotCreated:
                if (!WalRecordReader.TryReadSnapshot(body, out SnapshotMetadata meta))
                {
                    scanner.ThrowCorrupt(offset, "malformed snapshot record");
                }
                replay.HasSnapshot = true;
                replay.SnapshotIndex = meta.Index;
                replay.SnapshotTerm = meta.Term;
                _confState = meta.ConfState;
                if (type == WalRecordType.SnapshotApplied)
                {
                    _index.Reset(meta.Index, meta.Term);
                    _resetSegment = sequence;
                    replay.OlderSegmentsDead = true;
                }
                return;
            case WalRecordType.Compact:
                if (!WalRecordReader.TryReadIndexTerm(body, out ulong compactIndex, out ulong compactTerm))
                {
                    scanner.ThrowCorrupt(offset, "malformed compaction record");
                }
                if (compactIndex > _index.LastIndex)
                {
                    scanner.ThrowCorrupt(offset, $"compaction to {compactIndex} is past the last entry {_index.LastIndex}");
                }
                _index.CompactTo(compactIndex, compactTerm);
                replay.OlderSegmentsDead |= compactIndex >= replay.FirstCheckpointLastIndex;
                return;
            default:
                scanner.ThrowCorrupt(offset, "checkpoint record in the middle of a segment");
                return;
        }
    }

    /// <summary>
    /// A hard state record says where the log ended when it was written; the records before it
    /// must end there too, or entries (perhaps below its commit index, which were synced) are
    /// missing. Before the replay's starting point the log is unknown: there it ends at the dummy.
    /// </summary>
    private void CheckLogAtHardState(SegmentScanner scanner, HardState hs, ulong writtenLast, ulong writtenLastTerm)
    {
        bool known = writtenLast > _index.DummyIndex;
        if (_index.LastIndex == Math.Max(writtenLast, _index.DummyIndex) && (!known || _index.LastTerm == writtenLastTerm))
        {
            return;
        }
        scanner.ThrowCorrupt(scanner.RecordOffset, $"this hard state (commit {hs.Commit}) was written when the log ended at entry {writtenLast} of term {writtenLastTerm}, "
            + $"but the records before it end at entry {_index.LastIndex} of term {_index.LastTerm}: entries before it are missing");
    }

    private sealed class ReplayState
    {
        public long Records;
        public bool HasSnapshot;
        public ulong SnapshotIndex;
        public ulong SnapshotTerm;
        public WalTornTail? Torn;

        /// <summary>The segment replayed last, where its valid records end, and its newest sync mark.</summary>
        public string SegmentPath = "";
        public long SegmentEnd;
        public SyncMark Mark;

        /// <summary>Where the oldest segment present began, and whether a record since then made everything before it dead.</summary>
        public ulong FirstCheckpointLastIndex;
        public bool OlderSegmentsDead;
    }
}
