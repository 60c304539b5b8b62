using FastRaft.Core.Logging;

namespace FastRaft.Storage.Wal;

/// <summary>
/// Recovery: lists the directory, replays the segments (<c>WriteAheadLog.Replay.cs</c>), checks
/// what replay cannot see from inside one segment, repairs a torn tail, loads the snapshot.
/// </summary>
/// <remarks>
/// Only the bytes after the last segment's sync mark can be a torn write. Everything else that
/// is missing or damaged is a <see cref="WalCorruptionException"/> naming the file that holds
/// (or held) the lost records and the offset where they are missing:
/// a segment shorter than it was preallocated; valid records ending before the sync mark; a
/// segment ending anywhere but where the next one's header says; a hard state written when the
/// log was longer than the records before it; a segment missing in the middle, or at the start
/// without a compaction or snapshot that allowed its deletion; a snapshot file the log refers to
/// deleted in favour of a newer one whose record is gone.
/// </remarks>
public sealed partial class WriteAheadLog
{
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
                throw new WalCorruptionException(_directory, 0,
                    $"no log segment is left but snapshot file {Path.GetFileName(snapshots[0])} is present: the segments were deleted");
            }
            _index.Reset(0, 0);
            CreateSegment(1);
            Recovery = new WalRecoveryReport
            {
                Directory = _directory,
                CreatedNew = true,
                SegmentCount = 1,
                FirstIndex = 1,
                SyncedThrough = _syncedEnd,
                TemporaryFilesRemoved = tempRemoved,
            };
            _logger.Info(RaftLogEvents.WalRecovered, $"{Recovery}");
            return;
        }
        sequences.Sort();
        for (int k = 1; k < sequences.Count; k++)
        {
            if (sequences[k] != sequences[0] + k)
            {
                long missing = sequences[0] + k;
                throw new WalCorruptionException(SegmentPath(missing), 0,
                    $"segment {SegmentFile.FileName(missing)} is missing between {SegmentFile.FileName(missing - 1)} and {SegmentFile.FileName(sequences[k])}");
            }
        }

        var replay = new ReplayState();
        for (int k = 0; k < sequences.Count; k++)
        {
            ReplaySegment(sequences[k], k == 0, k == sequences.Count - 1, replay);
        }
        CheckOlderSegmentsWereDeletable(sequences[0], replay);
        if (replay.HasSnapshot)
        {
            _snapshot = ReadReferencedSnapshot(replay, snapshots);
            _hasSnapshotFile = true;
        }
        MakeRecoveredTailDurable(replay);
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
            SyncedThrough = replay.Mark.SyncedThrough,
            TornTail = replay.Torn,
            TemporaryFilesRemoved = tempRemoved,
            SnapshotFilesRemoved = staleSnapshots,
        };
        if (replay.Torn is not null)
        {
            _logger.Warning(RaftLogEvents.WalRecovered, $"{Recovery}");
        }
        else
        {
            _logger.Info(RaftLogEvents.WalRecovered, $"{Recovery}");
        }
    }

    private string SegmentPath(long sequence) => Path.Combine(_directory, SegmentFile.FileName(sequence));

    /// <summary>
    /// Segments before the oldest one present are deleted only once nothing in them is live: the
    /// log had been compacted to (or past) where the oldest present segment began, or a snapshot
    /// applied after it began reset the log. A record saying so must have been replayed;
    /// otherwise the segments before it were lost, not deleted by the log.
    /// </summary>
    private void CheckOlderSegmentsWereDeletable(long firstSequence, ReplayState replay)
    {
        if (firstSequence == 1 || replay.OlderSegmentsDead)
        {
            return;
        }
        throw new WalCorruptionException(SegmentPath(firstSequence - 1), 0,
            $"segment {SegmentFile.FileName(firstSequence - 1)} is missing: {SegmentFile.FileName(firstSequence)} is the oldest segment present, "
            + $"but no compaction to entry {replay.FirstCheckpointLastIndex} or later and no applied snapshot is recorded after it began, "
            + "so the entries before it were still live and the segments holding them were lost, not deleted by the log");
    }

    /// <summary>
    /// The snapshot the replayed records refer to. When that file is gone but a newer one is
    /// present, the records are what was lost: an older snapshot file is deleted only after the
    /// record of its successor was synced.
    /// </summary>
    private Protocol.Snapshot ReadReferencedSnapshot(ReplayState replay, List<string> snapshots)
    {
        string path = Path.Combine(_directory, SnapshotFile.FileName(replay.SnapshotIndex, replay.SnapshotTerm));
        if (!File.Exists(path))
        {
            foreach (string other in snapshots)
            {
                if (SnapshotFile.TryParseName(Path.GetFileName(other), out ulong index, out _) && index > replay.SnapshotIndex)
                {
                    throw new WalCorruptionException(replay.SegmentPath, replay.SegmentEnd,
                        $"the log's records end here and refer to snapshot {Path.GetFileName(path)}, which is gone, while the newer snapshot file "
                        + $"{Path.GetFileName(other)} is present: a snapshot file is deleted only after the record of a newer one was synced, "
                        + "so records were lost from the end of this segment (it was cut, or a later segment was deleted)");
                }
            }
        }
        return SnapshotFile.Read(path, replay.SnapshotIndex, replay.SnapshotTerm);
    }

    /// <summary>
    /// Cuts off a torn record, and makes the recovered records durable either way (the process
    /// that wrote them may have died before its sync), so the next sync mark can cover them.
    /// </summary>
    private void MakeRecoveredTailDurable(ReplayState replay)
    {
        if (replay.Torn is { } torn)
        {
            Span<byte> zeros = stackalloc byte[4096];
            zeros.Clear();
            long end = torn.Offset + torn.DiscardedBytes;
            for (long at = torn.Offset; at < end; at += zeros.Length)
            {
                RandomAccess.Write(Active.Handle, zeros[..(int)Math.Min(zeros.Length, end - at)], at);
            }
        }
        DurableIo.SyncData(Active.Handle);
        _syncedEnd = _writeOffset;
        _mark = replay.Mark;
    }
}
