using FastRaft.Core.Storage;
using FastRaft.Protocol;

namespace FastRaft.Storage.Wal;

/// <summary>
/// One Raft group's storage in a <see cref="SharedWriteAheadLog"/> (<see cref="SharedWriteAheadLog.OpenGroup"/>):
/// its entries, hard state, configuration and snapshot, written into the log's shared segments,
/// with <see cref="MemoryStorage"/>'s semantics, as a <see cref="WriteAheadLog"/> has them for its
/// one group.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Save"/> only writes: its records are durable once the log's
/// <see cref="SharedWriteAheadLog.SyncWrites"/> has run after it (whoever sends the group's
/// messages calls it first; a single-voter group's node calls it before applying). Snapshots,
/// <see cref="SetConfState"/> and compactions that free segments sync on their own.
/// </para>
/// <para>
/// A view is used by one thread at a time (its node's runner); different views may be used from
/// different threads at once. Every member is nonetheless safe to call from any thread. The log
/// owns its views: <see cref="Dispose"/> does nothing, and they become unusable when the log is
/// disposed or has failed.
/// </para>
/// </remarks>
public sealed partial class WalGroup : IRaftStorage, IGroupCommit
{
    private readonly WalStore _store;
    private readonly Lock _gate = new();
    private readonly WalLogIndex _index;
    private readonly WalWriteBuffer _buffer;

    // Payloads read back from segments; released wholesale at every epoch boundary.
    private readonly PayloadArena _readArena;
    private byte[]? _readBuffer;

    private HardState _hardState;
    private ConfState _confState = ConfState.Empty;
    private Snapshot _snapshot = Protocol.Snapshot.Empty;
    private bool _hasSnapshotFile;

    /// <summary>
    /// Whether a write of any group of the shared log is not yet durable: the view answers for
    /// its log, so a node that holds only its group's storage (a single voter, which must sync
    /// before it applies) can make its own writes durable.
    /// </summary>
    public bool HasUnsyncedWrites => _store.HasUnsyncedWrites;

    /// <summary>The shared log's <see cref="SharedWriteAheadLog.SyncWrites"/>: one data sync for every group's writes made before the call.</summary>
    public void SyncWrites() => _store.SyncWrites();
    private long _entriesReadFromDisk;
    private volatile bool _removed;

    internal WalGroup(WalStore store, ulong groupId)
    {
        _store = store;
        GroupId = groupId;
        WalOptions options = store.Options;
        // A shared log may hold thousands of groups, most of them idle: their buffers start small and grow on use.
        _index = new WalLogIndex(options.CacheBytes, options.PayloadChunkSize, groupId == 0 ? 256 : 4);
        _buffer = new WalWriteBuffer(groupId == 0 ? 64 * 1024 : 256, groupId);
        _readArena = new PayloadArena(options.PayloadChunkSize);
        Published = CurrentCheckpoint();
    }

    /// <summary>The group's id in the shared log (zero for the single group of a <see cref="WriteAheadLog"/>).</summary>
    public ulong GroupId { get; }

    /// <summary>The group's state as of its last write, for the checkpoints of new segments and for deletions (read and set under the log's gate).</summary>
    internal WalCheckpoint Published { get; set; }

    /// <summary>Whether the group has records in the log (it gets a checkpoint in every new segment).</summary>
    internal bool InLog { get; set; }

    /// <summary>The segment holding the group's latest applied snapshot: older segments are dead for it.</summary>
    internal long ResetSegment { get; set; }

    /// <summary>The last hard state saved.</summary>
    public HardState HardState
    {
        get
        {
            lock (_gate)
            {
                return _hardState;
            }
        }
    }

    /// <summary>The configuration <see cref="InitialState"/> returns.</summary>
    public ConfState ConfState
    {
        get
        {
            lock (_gate)
            {
                return _confState;
            }
        }
    }

    internal ulong FirstIndexUnlocked => _index.DummyIndex + 1;

    internal ulong LastIndexUnlocked => _index.LastIndex;

    internal string? CurrentSnapshotFile => _hasSnapshotFile ? SnapshotFile.FileName(GroupId, _snapshot.Metadata.Index, _snapshot.Metadata.Term) : null;

    /// <inheritdoc />
    public StorageStatus InitialState(out HardState hardState, out ConfState confState)
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            hardState = _hardState;
            confState = _confState;
            return StorageStatus.Ok;
        }
    }

    /// <inheritdoc />
    public StorageStatus Term(ulong i, out ulong term)
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            term = 0;
            if (i < _index.DummyIndex)
            {
                return StorageStatus.Compacted;
            }
            if (i > _index.LastIndex)
            {
                return StorageStatus.Unavailable;
            }
            term = i == _index.DummyIndex ? _index.DummyTerm : _index.At(i).Entry.Term;
            return StorageStatus.Ok;
        }
    }

    /// <inheritdoc />
    public ulong LastIndex()
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            return _index.LastIndex;
        }
    }

    /// <inheritdoc />
    public ulong FirstIndex()
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            return _index.DummyIndex + 1;
        }
    }

    /// <inheritdoc />
    public StorageStatus Snapshot(out Snapshot snapshot)
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            snapshot = _snapshot;
            return StorageStatus.Ok;
        }
    }

    /// <summary>
    /// Marks a Ready boundary: payload memory released (evicted, compacted, truncated, or read
    /// back from disk) two boundaries ago may be reused. The host calls it once per Ready.
    /// </summary>
    public void AdvanceEpoch()
    {
        lock (_gate)
        {
            _index.AdvanceEpoch();
            _readArena.ReleaseAll();
            _readArena.AdvanceEpoch();
        }
    }

    /// <summary>Does nothing: the shared log owns its groups' views (dispose the log).</summary>
    public void Dispose()
    {
    }

    /// <summary>The cache counters of this group: entries read from disk, cached entries and bytes.</summary>
    internal (long ReadFromDisk, long CachedEntries, long CachedBytes) CacheCounters()
    {
        lock (_gate)
        {
            return (_entriesReadFromDisk, (long)(_index.LastIndex + 1 - Math.Min(_index.CacheFrom, _index.LastIndex + 1)), _index.CachedBytes);
        }
    }

    /// <summary>Where entry <paramref name="index"/>'s record is (for tests that damage files on purpose).</summary>
    internal bool TryLocate(ulong index, out string path, out long offset, out long size)
    {
        lock (_gate)
        {
            path = "";
            offset = size = 0;
            if (index <= _index.DummyIndex || index > _index.LastIndex)
            {
                return false;
            }
            ref readonly WalSlot s = ref _index.At(index);
            offset = s.Offset;
            size = RecordSize(s);
            return _store.TrySegmentPath(s.Segment, out path);
        }
    }

    /// <summary>Removes the group from the log (see <see cref="SharedWriteAheadLog.RemoveGroup"/>); this view is unusable from then on.</summary>
    internal void Remove()
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            try
            {
                _buffer.AppendGroupRemoved();
                _store.RemoveGroup(this, _buffer.Written);
            }
            catch (Exception e) when (WalStore.IsIoFailure(e))
            {
                throw _store.FailUnlocked(e);
            }
            finally
            {
                _buffer.Clear();
            }
            _removed = true;
        }
    }

    private void ThrowIfUnusable()
    {
        _store.ThrowIfUnusable();
        if (_removed)
        {
            ThrowRemoved(GroupId);
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowRemoved(ulong groupId) =>
        throw new ObjectDisposedException(nameof(WalGroup), $"group {groupId} was removed from the shared write-ahead log");

    private long RecordSize(in WalSlot s) => WalFormat.EntryRecordSize(s.PayloadLength, GroupId);

    private WalCheckpoint CurrentCheckpoint() => new(
        _hardState,
        _confState,
        _hasSnapshotFile,
        _snapshot.Metadata.Index,
        _snapshot.Metadata.Term,
        _index.DummyIndex,
        _index.DummyTerm,
        _index.LastIndex,
        _index.LastTerm);
}
