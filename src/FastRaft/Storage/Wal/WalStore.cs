using System.Diagnostics.CodeAnalysis;
using FastRaft.Core.Logging;

namespace FastRaft.Storage.Wal;

/// <summary>
/// The segments of a write-ahead log and the groups whose records they hold: what
/// <see cref="WriteAheadLog"/> (one group, id zero) and <see cref="SharedWriteAheadLog"/> (many
/// groups) are made of. Appends one group's batch at a time, syncs, rolls over, deletes dead
/// segments, recovers.
/// </summary>
/// <remarks>
/// Locking: a group's operations hold that group's gate, and take the log's gate (this
/// <see cref="_gate"/>) only around what touches the segments: one batch's pwrite, a rollover, a
/// deletion. A batch is encoded and checksummed in the group's own buffer before the log's gate is
/// taken, so the gate covers a copy into the page cache and a few fields. What other groups read
/// of a group under the log's gate (its checkpoint, for rollovers and deletions) is published only
/// under it. Lock order: a group's gate, then the log's gate, then nothing.
/// </remarks>
internal sealed partial class WalStore
{
    private readonly string _directory;
    private readonly RaftLogger _logger;
    private readonly DirectoryLock _directoryLock;
    private readonly Lock _gate = new();

    // One SyncWrites at a time; later callers find their writes covered, or sync once more.
    private readonly Lock _syncGate = new();

    // Segments on disk in sequence order; the last one is written.
    private readonly List<SegmentFile> _segments = [];
    private readonly WalWriteBuffer _headerBuffer = new(4 * 1024);
    private readonly SegmentPreparer _preparer;

    private readonly Dictionary<ulong, WalGroup> _groups = [];
    private readonly List<WalGroup> _groupList = [];

    private long _writeOffset;
    private long _firstRecordEnd;
    private volatile bool _unsynced;

    // Writes made (a count) and how many of them the last completed sync covered.
    private long _writes;
    private long _writesSynced;

    // How far into the active segment the last completed sync reached, and the newest sync mark
    // written into its header (which trails _syncedEnd until the next write carries it).
    private long _syncedEnd;
    private SyncMark _mark;
    private long _lastSyncTimestamp;

    private volatile Exception? _failure;
    private volatile bool _disposed;

    private long _syncs;
    private long _bytesWritten;
    private long _segmentsCreated;
    private long _segmentsDeleted;

    private WalStore(string directory, WalOptions options, DirectoryLock directoryLock, bool shared)
    {
        _directory = directory;
        Options = options;
        Shared = shared;
        _logger = RaftLogger.For(options.Logger);
        _directoryLock = directoryLock;
        _preparer = new SegmentPreparer(directory, options.SegmentSize, options.PrepareSegmentsInBackground);
        _lastSyncTimestamp = options.Time.GetTimestamp();
        Recovery = new WalRecoveryReport { Directory = directory };
    }

    public WalOptions Options { get; }

    /// <summary>Many groups (ids never zero) whose Saves only write; otherwise the one group zero, whose Saves sync.</summary>
    public bool Shared { get; }

    public string Directory => _directory;

    public WalRecoveryReport Recovery { get; private set; }

    public bool HasUnsyncedWrites => _unsynced;

    /// <summary>Opens (creating it if needed) the log in <paramref name="directory"/> and recovers every group's state.</summary>
    public static WalStore Open(string directory, WalOptions? options, bool shared)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= new WalOptions();
        options.Validate();
        string full = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(full);
        DirectoryLock directoryLock = DirectoryLock.Acquire(full);
        var store = new WalStore(full, options, directoryLock, shared);
        try
        {
            store.Recover();
        }
        catch (WalCorruptionException e)
        {
            store._logger.Error(RaftLogEvents.WalCorruption, $"write-ahead log {full} is damaged and was not opened: {e.Message}");
            store.Release();
            throw;
        }
        catch
        {
            store.Release();
            throw;
        }
        return store;
    }

    /// <summary>True when <paramref name="directory"/> holds segment or snapshot files (see <see cref="WriteAheadLog.Exists"/>).</summary>
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
            if (SegmentFile.TryParseName(name, out _) || SnapshotFile.TryParseName(name, out _, out _, out _))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The group with <paramref name="groupId"/>: the recovered one, or a new empty one.</summary>
    public WalGroup Group(ulong groupId)
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            return GroupLocked(groupId);
        }
    }

    /// <summary>The ids of the groups that have records in the log, in the order they first wrote.</summary>
    public ulong[] GroupIds()
    {
        lock (_gate)
        {
            var ids = new List<ulong>(_groupList.Count);
            foreach (WalGroup g in _groupList)
            {
                if (g.InLog)
                {
                    ids.Add(g.GroupId);
                }
            }
            return [.. ids];
        }
    }

    /// <summary>The log's own counters; the cache fields are the given group's (or zero).</summary>
    public WalStatistics Statistics(long entriesReadFromDisk, long cachedEntries, long cachedBytes)
    {
        lock (_gate)
        {
            return new WalStatistics(_syncs, _bytesWritten, _segments.Count, _segmentsCreated, _segmentsDeleted, entriesReadFromDisk, cachedEntries, cachedBytes);
        }
    }

    /// <summary>All groups known now (for statistics).</summary>
    public WalGroup[] Groups()
    {
        lock (_gate)
        {
            return [.. _groupList];
        }
    }

    /// <summary>
    /// Syncs anything not yet durable, makes the sync mark exact (after a clean close every record
    /// is known to be synced, so any later loss is reported as corruption), and releases the
    /// files and the directory lock.
    /// </summary>
    public void Dispose()
    {
        lock (_syncGate)
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
    }

    /// <summary>The path of segment <paramref name="sequence"/>, or false when it is no longer on disk.</summary>
    public bool TrySegmentPath(long sequence, out string path)
    {
        lock (_gate)
        {
            path = "";
            int k = (int)(sequence - (_segments.Count == 0 ? 0 : _segments[0].Sequence));
            if (_segments.Count == 0 || k < 0 || k >= _segments.Count)
            {
                return false;
            }
            path = _segments[k].Path;
            return true;
        }
    }

    public void ThrowIfUnusable()
    {
        if (_disposed)
        {
            ThrowDisposed();
        }
        if (_failure is { } failure)
        {
            ThrowFailed(failure);
        }
    }

    /// <summary>Records an I/O failure (under the gate): the in-memory state may now be ahead of the disk, so the log refuses further use.</summary>
    public WalException Fail(Exception e)
    {
        if (_failure is not null)
        {
            return e as WalException ?? new WalException($"write-ahead log {_directory} failed and must be reopened: {e.Message}", e);
        }
        _failure = e;
        _logger.Error(RaftLogEvents.WalFailed, $"write-ahead log {_directory} failed and must be reopened: {e.Message}");
        return e as WalException ?? new WalException($"write-ahead log {_directory} failed and must be reopened: {e.Message}", e);
    }

    /// <summary>An I/O failure outside the gate.</summary>
    public WalException FailUnlocked(Exception e)
    {
        lock (_gate)
        {
            return Fail(e);
        }
    }

    public static bool IsIoFailure(Exception e) => e is IOException or UnauthorizedAccessException;

    private WalGroup GroupLocked(ulong groupId)
    {
        if (_groups.TryGetValue(groupId, out WalGroup? group))
        {
            return group;
        }
        group = new WalGroup(this, groupId);
        _groups.Add(groupId, group);
        _groupList.Add(group);
        return group;
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

    [DoesNotReturn]
    private static void ThrowDisposed() => throw new ObjectDisposedException(nameof(WriteAheadLog));

    [DoesNotReturn]
    private static void ThrowFailed(Exception cause) =>
        throw new WalException("the write-ahead log failed earlier and must be reopened: " + cause.Message, cause);
}
