using System.Diagnostics.CodeAnalysis;
using FastRaft.Core.Logging;
using FastRaft.Core.Storage;
using FastRaft.Protocol;

namespace FastRaft.Storage.Wal;

/// <summary>
/// Durable <see cref="IRaftStorage"/>: a write-ahead log of segment files plus snapshot files in
/// one directory, with <see cref="MemoryStorage"/>'s semantics (the dummy entry at the snapshot
/// or compaction point, failures as <see cref="StorageStatus"/>).
/// </summary>
/// <remarks>
/// <para>
/// Entries, hard state, configuration, compaction points and snapshot references are records
/// appended to the active segment; each <see cref="Save"/> writes its records with one call and
/// covers them with one data sync (group commit). Truncating a conflicting tail needs no record
/// of its own: an entry record at or before the last index replaces that entry and everything
/// after it, on replay as when written. Snapshots are files written aside and renamed into
/// place. Compaction deletes whole segments once nothing live is in them.
/// </para>
/// <para>
/// Reads come from an in-memory index of the live log; the most recent entries' payloads are
/// cached in pooled buffers (<see cref="WalOptions.CacheBytes"/>) and older ones are read back
/// from the segments, checksums verified. Payload memory handed out by <see cref="Entries"/>
/// stays valid until <see cref="AdvanceEpoch"/> has been called twice more, as with
/// MemoryStorage. Save with entries and Entries served from the cache allocate nothing in
/// steady state (a segment rollover allocates a little).
/// </para>
/// <para>
/// <see cref="Open"/> recovers: it replays every segment, cuts off a torn last record (see
/// <see cref="Recovery"/>), and refuses with <see cref="WalCorruptionException"/> any damage
/// before the tail. A lock file keeps a second process (or a second instance) out. After an
/// I/O failure the log refuses all further calls: reopen it to recover. All members are safe to
/// call from several threads.
/// </para>
/// </remarks>
public sealed partial class WriteAheadLog : IRaftStorage
{
    private readonly string _directory;
    private readonly WalOptions _options;
    private readonly RaftLogger _logger;
    private readonly DirectoryLock _directoryLock;
    private readonly Lock _gate = new();

    // Segments on disk in sequence order; the last one is written.
    private readonly List<SegmentFile> _segments = [];
    private readonly WalLogIndex _index;
    private readonly WalWriteBuffer _buffer = new();
    private readonly SegmentPreparer _preparer;

    // Payloads read back from segments; released wholesale at every epoch boundary.
    private readonly PayloadArena _readArena;
    private byte[] _readBuffer = new byte[64 * 1024];

    private long _writeOffset;
    private long _firstRecordEnd;
    private bool _unsynced;

    // How far into the active segment the last completed sync reached, and the newest sync mark
    // written into its header (which trails _syncedEnd until the next write carries it).
    private long _syncedEnd;
    private SyncMark _mark;
    private long _lastSyncTimestamp;

    private HardState _hardState;
    private ConfState _confState = ConfState.Empty;
    private Snapshot _snapshot = Protocol.Snapshot.Empty;
    private bool _hasSnapshotFile;

    // Sequence of the segment holding the latest SnapshotApplied record: older segments are dead.
    private long _resetSegment;

    private Exception? _failure;
    private bool _disposed;

    private long _syncs;
    private long _bytesWritten;
    private long _segmentsCreated;
    private long _segmentsDeleted;
    private long _entriesReadFromDisk;

    private WriteAheadLog(string directory, WalOptions options, DirectoryLock directoryLock)
    {
        _directory = directory;
        _options = options;
        _logger = RaftLogger.For(options.Logger);
        _directoryLock = directoryLock;
        _index = new WalLogIndex(options.CacheBytes, options.PayloadChunkSize);
        _readArena = new PayloadArena(options.PayloadChunkSize);
        _preparer = new SegmentPreparer(directory, options.SegmentSize, options.PrepareSegmentsInBackground);
        _lastSyncTimestamp = options.Time.GetTimestamp();
        Recovery = new WalRecoveryReport { Directory = directory };
    }

    /// <summary>
    /// Opens (creating it if needed) the log in <paramref name="directory"/> and recovers its state.
    /// </summary>
    /// <exception cref="WalLockedException">Another log instance holds the directory.</exception>
    /// <exception cref="WalCorruptionException">The files are damaged before the tail.</exception>
    public static WriteAheadLog Open(string directory, WalOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= new WalOptions();
        options.Validate();
        string full = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(full);
        DirectoryLock directoryLock = DirectoryLock.Acquire(full);
        var wal = new WriteAheadLog(full, options, directoryLock);
        try
        {
            wal.Recover();
        }
        catch (WalCorruptionException e)
        {
            wal._logger.Error(RaftLogEvents.WalCorruption, $"write-ahead log {full} is damaged and was not opened: {e.Message}");
            wal.Release();
            throw;
        }
        catch
        {
            wal.Release();
            throw;
        }
        return wal;
    }

    /// <summary>The directory holding the log.</summary>
    public string Directory => _directory;

    /// <summary>What recovery found when the log was opened.</summary>
    public WalRecoveryReport Recovery { get; private set; }

    /// <summary>
    /// True when <see cref="Open"/> found no log in the directory and started a new, empty one;
    /// false when it recovered an existing log. A node can use it to refuse to join a cluster as
    /// a fresh member under an identity that already had a log (see also <see cref="Exists"/>).
    /// </summary>
    public bool CreatedNew => Recovery.CreatedNew;

    /// <summary>
    /// True when <paramref name="directory"/> holds a log: at least one segment or snapshot file
    /// (damaged or not; temporary files left by an interrupted creation do not count). Does not
    /// open, lock or change anything, and is false for a directory that does not exist.
    /// </summary>
    public static bool Exists(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!System.IO.Directory.Exists(directory))
        {
            return false;
        }
        foreach (string path in System.IO.Directory.EnumerateFiles(directory))
        {
            string name = Path.GetFileName(path);
            if (SegmentFile.TryParseName(name, out _) || SnapshotFile.TryParseName(name, out _, out _))
            {
                return true;
            }
        }
        return false;
    }

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

    /// <summary>Counters of the log's work so far (syncs, bytes written, segments, disk reads, cache size), read consistently.</summary>
    public WalStatistics Statistics
    {
        get
        {
            lock (_gate)
            {
                return new WalStatistics(
                    _syncs,
                    _bytesWritten,
                    _segments.Count,
                    _segmentsCreated,
                    _segmentsDeleted,
                    _entriesReadFromDisk,
                    (long)(_index.LastIndex + 1 - Math.Min(_index.CacheFrom, _index.LastIndex + 1)),
                    _index.CachedBytes);
            }
        }
    }

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
    /// Syncs anything written and not yet durable (under <see cref="WalSyncPolicy.Interval"/>),
    /// makes the sync mark exact (after a clean close every record is known to be synced, so any
    /// later loss is reported as corruption), waits for a segment being prepared, and releases
    /// the files and the directory lock.
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            if (_failure is null)
            {
                try
                {
                    MakeSyncMarkExact();
                }
                catch (Exception e) when (IsIoFailure(e))
                {
                    _logger.Error(RaftLogEvents.WalFailed, $"write-ahead log {_directory}: final sync failed, the last writes may not be durable: {e.Message}");
                }
            }
            Release();
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
            path = SegmentOf(s.Segment).Path;
            offset = s.Offset;
            size = s.RecordSize;
            return true;
        }
    }

    private SegmentFile Active => _segments[^1];

    private SegmentFile SegmentOf(long sequence) => _segments[(int)(sequence - _segments[0].Sequence)];

    private void Release()
    {
        _disposed = true;
        _preparer.Dispose();
        foreach (SegmentFile s in _segments)
        {
            s.Dispose();
        }
        _segments.Clear();
        _directoryLock.Dispose();
    }

    private static bool IsIoFailure(Exception e) => e is IOException or UnauthorizedAccessException;

    private void ThrowIfUnusable()
    {
        if (_disposed)
        {
            ThrowDisposed();
        }
        if (_failure is not null)
        {
            ThrowFailed(_failure);
        }
    }

    /// <summary>Records an I/O failure: the in-memory state may now be ahead of the disk, so the log refuses further use.</summary>
    private WalException Fail(Exception e)
    {
        _failure = e;
        _logger.Error(RaftLogEvents.WalFailed, $"write-ahead log {_directory} failed and must be reopened: {e.Message}");
        return e as WalException ?? new WalException($"write-ahead log {_directory} failed and must be reopened: {e.Message}", e);
    }

    [DoesNotReturn]
    private static void ThrowDisposed() => throw new ObjectDisposedException(nameof(WriteAheadLog));

    [DoesNotReturn]
    private static void ThrowFailed(Exception cause) =>
        throw new WalException("the write-ahead log failed earlier and must be reopened: " + cause.Message, cause);
}
