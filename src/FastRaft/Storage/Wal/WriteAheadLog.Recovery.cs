using FastRaft.Protocol;
using Microsoft.Win32.SafeHandles;

namespace FastRaft.Storage.Wal;

public sealed partial class WriteAheadLog
{
    // How many replayed records between epoch advances of the cache arena: nothing has been
    // handed out while opening, so evicted chunks can be recycled at once.
    private const int RecordsPerReplayEpoch = 1024;

    /// <summary>Rebuilds the state from the directory's files (or starts a new log), repairing a torn tail.</summary>
    private void Recover()
    {
        var sequences = new List<long>();
        var snapshots = new List<string>();
        int tempRemoved = 0;
        foreach (string path in System.IO.Directory.EnumerateFiles(_directory))
        {
            string name = Path.GetFileName(path);
            if (name.EndsWith(SegmentFile.TempExtension, StringComparison.Ordinal) || name.EndsWith(SnapshotFile.TempExtension, StringComparison.Ordinal))
            {
                File.Delete(path);
                tempRemoved++;
            }
            else if (SegmentFile.TryParseName(name, out long sequence))
            {
                sequences.Add(sequence);
            }
            else if (SnapshotFile.TryParseName(name, out _, out _))
            {
                snapshots.Add(path);
            }
        }
        if (tempRemoved > 0)
        {
            DurableIo.SyncDirectory(_directory);
        }
        if (sequences.Count == 0)
        {
            if (snapshots.Count > 0)
            {
                throw new WalCorruptionException(snapshots[0], 0, "snapshot file found but no log segment (were segments deleted?)");
            }
            _index.Reset(0, 0);
            CreateSegment(1);
            Recovery = new WalRecoveryReport { Directory = _directory, CreatedNew = true, SegmentCount = 1, FirstIndex = 1, TemporaryFilesRemoved = tempRemoved };
            _logger.Info(Recovery.ToString());
            return;
        }
        sequences.Sort();
        for (int k = 1; k < sequences.Count; k++)
        {
            if (sequences[k] != sequences[0] + k)
            {
                throw new WalCorruptionException(
                    Path.Combine(_directory, SegmentFile.FileName(sequences[k])), 0, $"segment {SegmentFile.FileName(sequences[0] + k)} before it is missing");
            }
        }

        var replay = new ReplayState();
        for (int k = 0; k < sequences.Count; k++)
        {
            ReplaySegment(sequences[k], k == 0, k == sequences.Count - 1, replay);
        }
        if (replay.Torn is { } torn)
        {
            ZeroTornTail(torn);
        }
        if (replay.HasSnapshot)
        {
            _snapshot = SnapshotFile.Read(Path.Combine(_directory, SnapshotFile.FileName(replay.SnapshotIndex, replay.SnapshotTerm)), replay.SnapshotIndex, replay.SnapshotTerm);
            _hasSnapshotFile = true;
        }
        int staleSnapshots = DeleteStaleSnapshotFiles();
        if (staleSnapshots > 0)
        {
            DurableIo.SyncDirectory(_directory);
        }
        _preparer.Start(Active.Sequence + 1);

        Recovery = new WalRecoveryReport
        {
            Directory = _directory,
            SegmentCount = sequences.Count,
            RecordCount = replay.Records,
            FirstIndex = _index.DummyIndex + 1,
            LastIndex = _index.LastIndex,
            HardState = _hardState,
            SnapshotIndex = _snapshot.Metadata.Index,
            TornTail = replay.Torn,
            TemporaryFilesRemoved = tempRemoved,
            SnapshotFilesRemoved = staleSnapshots,
        };
        if (replay.Torn is not null)
        {
            _logger.Warning(Recovery.ToString());
        }
        else
        {
            _logger.Info(Recovery.ToString());
        }
    }

    private void ReplaySegment(long sequence, bool isFirst, bool isLast, ReplayState replay)
    {
        string path = Path.Combine(_directory, SegmentFile.FileName(sequence));
        SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, isLast ? FileAccess.ReadWrite : FileAccess.Read, FileShare.Read | FileShare.Delete);
        try
        {
            long length = RandomAccess.GetLength(handle);
            Span<byte> header = stackalloc byte[WalFormat.SegmentHeaderSize];
            int n = DurableIo.ReadAtMost(handle, header, 0);
            string? bad = WalFormat.CheckSegmentHeader(header[..n], sequence);
            if (bad is not null)
            {
                throw new WalCorruptionException(path, 0, bad);
            }
            var scanner = new SegmentScanner(handle, path, length, isLast);
            if (scanner.Next(out WalRecordType type, out ReadOnlySpan<byte> body) != ScanResult.Record
                || type != WalRecordType.Checkpoint || !WalRecordReader.TryReadCheckpoint(body, out WalCheckpoint checkpoint))
            {
                throw new WalCorruptionException(path, WalFormat.SegmentHeaderSize, "segment does not begin with a valid checkpoint");
            }
            StartFromCheckpoint(scanner, checkpoint, isFirst, replay);
            _segments.Add(new SegmentFile(sequence, path, handle, checkpoint.LastIndex));
            replay.Records++;
            _firstRecordEnd = scanner.Position;
            while (true)
            {
                ScanResult result = scanner.Next(out type, out body);
                if (result == ScanResult.End)
                {
                    break;
                }
                if (result == ScanResult.Torn)
                {
                    replay.Torn = new WalTornTail(path, scanner.RecordOffset, scanner.TornEnd - scanner.RecordOffset, scanner.TornReason);
                    break;
                }
                ApplyRecord(scanner, sequence, type, body, replay);
                if (++replay.Records % RecordsPerReplayEpoch == 0)
                {
                    _index.AdvanceEpoch();
                    _index.AdvanceEpoch();
                }
            }
            _writeOffset = scanner.Position;
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
    /// The first segment's checkpoint is the base state. Its log starts after its last entry:
    /// older entries were in deleted segments, and deletion waited until they were all compacted,
    /// so replay ends with a dummy at or past this point. Later checkpoints must agree with replay.
    /// </summary>
    private void StartFromCheckpoint(SegmentScanner scanner, in WalCheckpoint checkpoint, bool isFirst, ReplayState replay)
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
                if (!WalRecordReader.TryReadHardState(body, out HardState hs))
                {
                    scanner.ThrowCorrupt(offset, "malformed hard state record");
                }
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
                return;
            default:
                scanner.ThrowCorrupt(offset, "checkpoint record in the middle of a segment");
                return;
        }
    }

    /// <summary>Zeroes the torn record's bytes so the end of the records is clean again, and syncs.</summary>
    private void ZeroTornTail(WalTornTail torn)
    {
        SafeFileHandle handle = Active.Handle;
        Span<byte> zeros = stackalloc byte[4096];
        zeros.Clear();
        long end = torn.Offset + torn.DiscardedBytes;
        for (long at = torn.Offset; at < end; at += zeros.Length)
        {
            RandomAccess.Write(handle, zeros[..(int)Math.Min(zeros.Length, end - at)], at);
        }
        DurableIo.SyncData(handle);
    }

    private sealed class ReplayState
    {
        public long Records;
        public bool HasSnapshot;
        public ulong SnapshotIndex;
        public ulong SnapshotTerm;
        public WalTornTail? Torn;
    }
}
