using FastRaft.Core.Logging;

namespace FastRaft.Storage.Wal;

/// <summary>
/// Recovery: lists the directory, replays the segments (<c>WalStore.Replay.cs</c>) into their
/// groups, checks what replay cannot see from inside one segment, repairs a torn tail, loads each
/// group's snapshot.
/// </summary>
/// <remarks>
/// Only the bytes after the last segment's sync mark can be a torn write. Everything else that
/// is missing or damaged is a <see cref="WalCorruptionException"/> naming the file that holds
/// (or held) the lost records and the offset where they are missing:
/// a segment shorter than it was preallocated; valid records ending before the sync mark; a
/// segment ending anywhere but where the next one's header says; a hard state written when the
/// group's log was longer than the records before it; a segment missing in the middle, or at the
/// start without a compaction or snapshot of every group that allowed its deletion; a snapshot
/// file the log refers to deleted in favour of a newer one whose record is gone.
/// </remarks>
internal sealed partial class WalStore
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
            else if (SnapshotFile.TryParseName(name, out _, out _, out _))
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
            lock (_gate)
            {
                CreateSegment(1);
            }
            Recovery = new WalRecoveryReport
            {
                Directory = _directory,
                CreatedNew = true,
                IsShared = Shared,
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
        CheckKind();
        foreach (WalGroup g in _groupList)
        {
            WalGroupReplay r = g.Replay!;
            CheckOlderSegmentsWereDeletable(g, sequences[0], r);
            if (r.HasSnapshot)
            {
                g.RecoverSnapshot(ReadReferencedSnapshot(g.GroupId, r, replay, snapshots));
            }
            g.FinishRecovery();
        }
        MakeRecoveredTailDurable(replay);
        int staleSnapshots = DeleteStaleSnapshotFiles();
        if (staleSnapshots > 0)
        {
            DurableIo.SyncDirectory(_directory);
        }
        _preparer.Start(Active.Sequence + 1);

        WalGroup? single = Shared ? null : GroupLocked(0);
        Recovery = new WalRecoveryReport
        {
            Directory = _directory,
            IsShared = Shared,
            GroupCount = _groupList.Count,
            SegmentCount = sequences.Count,
            RecordCount = replay.Records,
            FirstIndex = single is null ? 0 : single.FirstIndexUnlocked,
            LastIndex = single is null ? 0 : single.LastIndexUnlocked,
            HardState = single is null ? default : single.Published.HardState,
            SnapshotIndex = single is null ? 0 : single.Published.SnapshotIndex,
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

    /// <summary>A single-group log holds only group zero's records, a shared log only other groups': opening one as the other is refused.</summary>
    private void CheckKind()
    {
        foreach (WalGroup g in _groupList)
        {
            if (Shared && g.GroupId == 0)
            {
                throw new WalException($"write-ahead log {_directory} is a single-group log (open it with {nameof(WriteAheadLog)}), not a {nameof(SharedWriteAheadLog)}");
            }
            if (!Shared && g.GroupId != 0)
            {
                throw new WalException($"write-ahead log {_directory} is a shared log holding group {g.GroupId} (open it with {nameof(SharedWriteAheadLog)}), not a single-group {nameof(WriteAheadLog)}");
            }
        }
    }

    private string SegmentPath(long sequence) => Path.Combine(_directory, SegmentFile.FileName(sequence));

    /// <summary>
    /// Segments before the oldest one present are deleted only once nothing in them is live: for
    /// each group checkpointed at the start of the oldest present segment, its log had been
    /// compacted to (or past) where that segment began, or a snapshot applied after it began
    /// reset its log. A record saying so must have been replayed; otherwise the segments before
    /// it were lost, not deleted by the log.
    /// </summary>
    private void CheckOlderSegmentsWereDeletable(WalGroup group, long firstSequence, WalGroupReplay r)
    {
        if (firstSequence == 1 || r.OlderSegmentsDead)
        {
            return;
        }
        string of = group.GroupId == 0 ? "" : $" of group {group.GroupId}";
        throw new WalCorruptionException(SegmentPath(firstSequence - 1), 0,
            $"segment {SegmentFile.FileName(firstSequence - 1)} is missing: {SegmentFile.FileName(firstSequence)} is the oldest segment present, "
            + $"but no compaction{of} to entry {r.FirstCheckpointLastIndex} or later and no applied snapshot is recorded after it began, "
            + "so the entries before it were still live and the segments holding them were lost, not deleted by the log");
    }

    /// <summary>
    /// The snapshot a group's replayed records refer to. When that file is gone but a newer one
    /// of the group is present, the records are what was lost: an older snapshot file is deleted
    /// only after the record of its successor was synced.
    /// </summary>
    private Protocol.Snapshot ReadReferencedSnapshot(ulong group, WalGroupReplay r, ReplayState replay, List<string> snapshots)
    {
        string path = Path.Combine(_directory, SnapshotFile.FileName(group, r.SnapshotIndex, r.SnapshotTerm));
        if (!File.Exists(path))
        {
            foreach (string other in snapshots)
            {
                if (SnapshotFile.TryParseName(Path.GetFileName(other), out ulong g, out ulong index, out _) && g == group && index > r.SnapshotIndex)
                {
                    throw new WalCorruptionException(replay.SegmentPath, replay.SegmentEnd,
                        $"the log's records end here and refer to snapshot {Path.GetFileName(path)}, which is gone, while the newer snapshot file "
                        + $"{Path.GetFileName(other)} is present: a snapshot file is deleted only after the record of a newer one was synced, "
                        + "so records were lost from the end of this segment (it was cut, or a later segment was deleted)");
                }
            }
        }
        return SnapshotFile.Read(path, r.SnapshotIndex, r.SnapshotTerm);
    }

    /// <summary>Deletes every snapshot file that is not a recovered group's current one; returns how many.</summary>
    private int DeleteStaleSnapshotFiles()
    {
        int deleted = 0;
        foreach (string path in System.IO.Directory.EnumerateFiles(_directory, "*" + SnapshotFile.Extension))
        {
            string name = Path.GetFileName(path);
            if (!SnapshotFile.TryParseName(name, out ulong group, out _, out _))
            {
                continue;
            }
            if (!_groups.TryGetValue(group, out WalGroup? g) || g.CurrentSnapshotFile != name)
            {
                File.Delete(path);
                deleted++;
            }
        }
        return deleted;
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
