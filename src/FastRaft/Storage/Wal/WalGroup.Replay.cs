using FastRaft.Protocol;

namespace FastRaft.Storage.Wal;

/// <summary>Replay of the group's records (recovery runs on one thread, before the log is handed out).</summary>
public sealed partial class WalGroup
{
    /// <summary>What replay learned besides the state; null when no record of the group was replayed.</summary>
    internal WalGroupReplay? Replay { get; private set; }

    /// <summary>
    /// The group's checkpoint at the start of a segment. In the oldest segment present it is the
    /// base state: the group's log starts after its last entry (older entries were in deleted
    /// segments, and deletion waited until they were all compacted, so replay ends with a dummy
    /// at or past this point). Later checkpoints must agree with replay.
    /// </summary>
    internal void ReplayCheckpoint(SegmentScanner scanner, in WalCheckpoint checkpoint, bool isFirst, long sequence)
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
        Replay = new WalGroupReplay
        {
            HasSnapshot = checkpoint.HasSnapshot,
            SnapshotIndex = checkpoint.SnapshotIndex,
            SnapshotTerm = checkpoint.SnapshotTerm,
            FirstCheckpointLastIndex = checkpoint.LastIndex,
            OlderSegmentsDead = sequence == 1 || checkpoint.DummyIndex == checkpoint.LastIndex,
        };
        _index.Reset(checkpoint.LastIndex, checkpoint.LastTerm);
    }

    internal void ReplayRecord(SegmentScanner scanner, long sequence, WalRecordType type, ReadOnlySpan<byte> body)
    {
        // A group first seen after the oldest segment present began wrote nothing before it.
        WalGroupReplay replay = Replay ??= new WalGroupReplay();
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
                    scanner.ThrowCorrupt(offset, $"entry {index} leaves a gap after entry {_index.LastIndex}{OfGroup}");
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
                    ResetSegment = sequence;
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
                    scanner.ThrowCorrupt(offset, $"compaction to {compactIndex} is past the last entry {_index.LastIndex}{OfGroup}");
                }
                _index.CompactTo(compactIndex, compactTerm);
                replay.OlderSegmentsDead |= compactIndex >= replay.FirstCheckpointLastIndex;
                return;
            default:
                scanner.ThrowCorrupt(offset, "checkpoint record in the middle of a segment");
                return;
        }
    }

    /// <summary>Recycles evicted cache chunks while replaying (nothing has been handed out yet).</summary>
    internal void AdvanceReplayEpoch()
    {
        _index.AdvanceEpoch();
        _index.AdvanceEpoch();
    }

    internal void RecoverSnapshot(Snapshot snapshot)
    {
        _snapshot = snapshot;
        _hasSnapshotFile = true;
    }

    /// <summary>The state replayed becomes what the log publishes for the group.</summary>
    internal void FinishRecovery()
    {
        Published = CurrentCheckpoint();
        InLog = true;
    }

    private string OfGroup => GroupId == 0 ? "" : $" (group {GroupId})";

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
            + $"but the records before it end at entry {_index.LastIndex} of term {_index.LastTerm}: entries before it are missing{OfGroup}");
    }
}
