using FastRaft.Core.Storage;

namespace FastRaft.Storage.Wal;

/// <summary>
/// One write-ahead log shared by many Raft groups of a process: every group's entries, hard
/// state, configuration and snapshot references go into the same segments (records tagged with
/// the group id), and one <see cref="SyncWrites"/> (one data sync) makes every group's writes of
/// a cycle durable. <see cref="OpenGroup"/> gives each group its <see cref="IRaftStorage"/>.
/// </summary>
/// <remarks>
/// <para>
/// A group's <see cref="WalGroup.Save"/> only writes; whoever sends the groups' messages calls
/// <see cref="SyncWrites"/> before any of them leaves the process (a single-voter group's node
/// calls it itself before applying). Groups are written from several threads at once: each
/// Save's records are encoded and checksummed in the group's own buffer, then appended to the
/// active segment with one positioned write under a short lock (a copy into the page cache; a
/// lock-free reservation would also have to track the holes of writes still in flight for the
/// sync mark and the rollover, for little gain at that size). Syncs run outside that lock, so
/// groups keep writing during a sync.
/// </para>
/// <para>
/// Recovery (<see cref="Open"/>) replays the segments into their groups (<see cref="RecoveredGroups"/>),
/// with the single log's rules: a torn tail after the last sync mark is cut off, any other damage
/// is a <see cref="WalCorruptionException"/> naming the file and offset. Compaction is per group
/// (<see cref="WalGroup.Compact"/>, <see cref="WalGroup.CreateSnapshot"/>): a segment is deleted
/// once no group still needs a record in it. Every new segment begins with a checkpoint of each
/// group that has records, so replay can start from the oldest segment left.
/// </para>
/// <para>
/// Memory: <see cref="WalOptions.CacheBytes"/> is each group's payload cache budget (size it for
/// the number of groups). An I/O failure poisons the log: every further call of every group
/// throws <see cref="WalException"/> until the log is reopened. Group ids are never zero
/// (zero is the single group of a <see cref="WriteAheadLog"/>, whose directory this refuses).
/// </para>
/// </remarks>
public sealed class SharedWriteAheadLog : IGroupCommit, IDisposable
{
    private readonly WalStore _store;

    private SharedWriteAheadLog(WalStore store)
    {
        _store = store;
        RecoveredGroups = store.GroupIds();
    }

    /// <summary>
    /// Opens (creating it if needed) the shared log in <paramref name="directory"/> and recovers
    /// every group's state. <see cref="WalOptions.SyncPolicy"/> does not apply: writes are made
    /// durable by <see cref="SyncWrites"/>.
    /// </summary>
    /// <exception cref="WalLockedException">Another log instance holds the directory.</exception>
    /// <exception cref="WalCorruptionException">The files are damaged before the tail.</exception>
    /// <exception cref="WalException">The directory holds a single-group <see cref="WriteAheadLog"/>.</exception>
    public static SharedWriteAheadLog Open(string directory, WalOptions? options = null) => new(WalStore.Open(directory, options, shared: true));

    /// <summary>The directory holding the log.</summary>
    public string Directory => _store.Directory;

    /// <summary>What recovery found when the log was opened (segments, records, torn tail; the index fields are zero).</summary>
    public WalRecoveryReport Recovery => _store.Recovery;

    /// <summary>The groups that had records in the log when it was opened, in the order they first wrote.</summary>
    public IReadOnlyList<ulong> RecoveredGroups { get; }

    /// <inheritdoc />
    public bool HasUnsyncedWrites => _store.HasUnsyncedWrites;

    /// <summary>
    /// The storage of group <paramref name="groupId"/> (not zero): its recovered state, or an
    /// empty log for a new group. The same view every time for the same id.
    /// </summary>
    public WalGroup OpenGroup(ulong groupId)
    {
        ArgumentOutOfRangeException.ThrowIfZero(groupId);
        return _store.Group(groupId);
    }

    /// <summary>
    /// Makes durable every write of every group completed before the call, with one data sync;
    /// concurrent callers share a sync. Throws <see cref="WalException"/> when the sync fails
    /// (the log then refuses all further use).
    /// </summary>
    public void SyncWrites() => _store.SyncWrites();

    /// <summary>Counters of the log's work so far; the cache fields are summed over the groups.</summary>
    public WalStatistics Statistics
    {
        get
        {
            long read = 0, entries = 0, bytes = 0;
            foreach (WalGroup g in _store.Groups())
            {
                (long r, long e, long b) = g.CacheCounters();
                read += r;
                entries += e;
                bytes += b;
            }
            return _store.Statistics(read, entries, bytes);
        }
    }

    /// <summary>
    /// Syncs what is not yet durable, makes the sync mark exact, and releases the files and the
    /// directory lock; every group's view is unusable from then on.
    /// </summary>
    public void Dispose() => _store.Dispose();
}
