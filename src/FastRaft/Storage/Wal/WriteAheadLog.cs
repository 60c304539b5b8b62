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
/// <para>
/// It is the one-group case of the shared log (<see cref="SharedWriteAheadLog"/>): the same
/// segments, records, recovery and compaction, with one group whose records carry no group id
/// (so its files are those of format version 2, which it still opens). A directory holding a
/// shared log is refused, and the other way round.
/// </para>
/// </remarks>
public sealed class WriteAheadLog : IRaftStorage
{
    private readonly WalStore _store;
    private readonly WalGroup _group;

    private WriteAheadLog(WalStore store)
    {
        _store = store;
        _group = store.Group(0);
    }

    /// <summary>
    /// Opens (creating it if needed) the log in <paramref name="directory"/> and recovers its state.
    /// </summary>
    /// <exception cref="WalLockedException">Another log instance holds the directory.</exception>
    /// <exception cref="WalCorruptionException">The files are damaged before the tail.</exception>
    /// <exception cref="WalException">The directory holds a shared log.</exception>
    public static WriteAheadLog Open(string directory, WalOptions? options = null) => new(WalStore.Open(directory, options, shared: false));

    /// <summary>The directory holding the log.</summary>
    public string Directory => _store.Directory;

    /// <summary>What recovery found when the log was opened.</summary>
    public WalRecoveryReport Recovery => _store.Recovery;

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
    public static bool Exists(string directory) => WalStore.Exists(directory);

    /// <summary>The last hard state saved.</summary>
    public HardState HardState => _group.HardState;

    /// <summary>The configuration <see cref="InitialState"/> returns.</summary>
    public ConfState ConfState => _group.ConfState;

    /// <summary>Counters of the log's work so far (syncs, bytes written, segments, disk reads, cache size), read consistently.</summary>
    public WalStatistics Statistics
    {
        get
        {
            (long read, long entries, long bytes) = _group.CacheCounters();
            return _store.Statistics(read, entries, bytes);
        }
    }

    /// <inheritdoc />
    public StorageStatus InitialState(out HardState hardState, out ConfState confState) => _group.InitialState(out hardState, out confState);

    /// <inheritdoc />
    public StorageStatus Term(ulong i, out ulong term) => _group.Term(i, out term);

    /// <inheritdoc />
    public ulong LastIndex() => _group.LastIndex();

    /// <inheritdoc />
    public ulong FirstIndex() => _group.FirstIndex();

    /// <inheritdoc />
    public StorageStatus Snapshot(out Snapshot snapshot) => _group.Snapshot(out snapshot);

    /// <summary>
    /// Appends entries [lo, hi) to <paramref name="destination"/> within <paramref name="maxSize"/>
    /// (at least one), with MemoryStorage's statuses. Cached entries are served from memory; older
    /// ones are read back from their segments in contiguous runs and their checksums verified (a
    /// mismatch throws <see cref="WalCorruptionException"/>).
    /// </summary>
    public StorageStatus Entries(ulong lo, ulong hi, ulong maxSize, EntryBuffer destination) => _group.Entries(lo, hi, maxSize, destination);

    /// <summary>
    /// Persists one Ready: the snapshot (when not null and not empty), then the entries, then the
    /// hard state (when not empty and changed), with <see cref="MemoryStorage"/>'s rules for
    /// entries (those at or before the dummy are ignored, those at or before the last index
    /// replace the tail, a gap is OutOfOrder and nothing of the entries is written). On disk the
    /// hard state follows the entries, so a torn batch never leaves a commit index past the log.
    /// </summary>
    /// <remarks>
    /// One data sync covers the whole batch. It happens when <paramref name="mustSync"/> is set,
    /// and also whenever the batch holds entries, a snapshot or a new term or vote, whatever the
    /// flag says; a batch that only moves the commit index is written without a sync, and an
    /// empty one does nothing.
    /// </remarks>
    public StorageStatus Save(HardState hardState, EntrySegments entries, Snapshot? snapshot, bool mustSync) =>
        _group.Save(hardState, entries, snapshot, mustSync);

    /// <summary>
    /// Discards the entries before <paramref name="compactIndex"/>, which becomes the dummy entry,
    /// and deletes the segments that hold nothing live any more. Compacted when not past the
    /// current dummy; Unavailable when past the last index.
    /// </summary>
    public StorageStatus Compact(ulong compactIndex) => _group.Compact(compactIndex);

    /// <summary>
    /// Durably records the configuration <see cref="InitialState"/> returns from now on (for
    /// hosts that restart with <c>RaftConfig.Applied</c> past the snapshot: the configuration must
    /// then match the applied index). Snapshots also set it.
    /// </summary>
    public StorageStatus SetConfState(ConfState confState) => _group.SetConfState(confState);

    /// <summary>
    /// Replaces the whole log with <paramref name="snapshot"/>, durably. SnapOutOfDate when it is
    /// not newer than the current snapshot (a snapshot at index 0 carrying only a configuration is
    /// accepted while there is none, for bootstrapping).
    /// </summary>
    public StorageStatus ApplySnapshot(Snapshot snapshot) => _group.ApplySnapshot(snapshot);

    /// <summary>
    /// Records a snapshot at <paramref name="index"/> with <paramref name="data"/> (written to a
    /// snapshot file; the returned snapshot holds the caller's memory) and configuration
    /// <paramref name="confState"/> (the current one when null), durably. SnapOutOfDate when not
    /// newer than the current snapshot; Unavailable past the last index; Compacted before the
    /// dummy entry (its term is gone).
    /// </summary>
    public StorageStatus CreateSnapshot(ulong index, ConfState? confState, ReadOnlyMemory<byte> data, out Snapshot snapshot) =>
        _group.CreateSnapshot(index, confState, data, out snapshot);

    /// <summary>Makes everything written so far durable (useful under <see cref="WalSyncPolicy.Interval"/>).</summary>
    public void Sync() => _store.Sync();

    /// <summary>
    /// Marks a Ready boundary: payload memory released (evicted, compacted, truncated, or read
    /// back from disk) two boundaries ago may be reused. The host calls it once per Ready.
    /// </summary>
    public void AdvanceEpoch() => _group.AdvanceEpoch();

    /// <summary>
    /// Syncs anything written and not yet durable (under <see cref="WalSyncPolicy.Interval"/>),
    /// makes the sync mark exact (after a clean close every record is known to be synced, so any
    /// later loss is reported as corruption), waits for a segment being prepared, and releases
    /// the files and the directory lock.
    /// </summary>
    public void Dispose() => _store.Dispose();

    /// <summary>Where entry <paramref name="index"/>'s record is (for tests that damage files on purpose).</summary>
    internal bool TryLocate(ulong index, out string path, out long offset, out long size) => _group.TryLocate(index, out path, out offset, out size);
}
