using Microsoft.Extensions.Logging;

namespace FastRaft.Storage.Wal;

/// <summary>Settings of a <see cref="WriteAheadLog"/>.</summary>
public sealed class WalOptions
{
    /// <summary>The default <see cref="SegmentSize"/>: 64 MiB.</summary>
    public const long DefaultSegmentSize = 64L * 1024 * 1024;
    /// <summary>The default <see cref="CacheBytes"/>: 16 MiB.</summary>
    public const long DefaultCacheBytes = 16L * 1024 * 1024;

    /// <summary>
    /// Target size of a segment file. Each segment is preallocated (zero-filled) to this size so
    /// that appends never change file metadata and a data sync stays cheap; a batch larger than a
    /// segment gets a segment that grows past it.
    /// </summary>
    public long SegmentSize { get; init; } = DefaultSegmentSize;

    /// <summary>When Save syncs. Default: every batch.</summary>
    public WalSyncPolicy SyncPolicy { get; init; } = WalSyncPolicy.EveryBatch;

    /// <summary>The longest time between syncs under <see cref="WalSyncPolicy.Interval"/>.</summary>
    public TimeSpan SyncInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Payload bytes of the most recent entries kept in memory; older entries are read back from
    /// the segments when a lagging follower needs them.
    /// </summary>
    public long CacheBytes { get; init; } = DefaultCacheBytes;

    /// <summary>Chunk size of the pooled payload buffers (cache and disk reads).</summary>
    public int PayloadChunkSize { get; init; } = 64 * 1024;

    /// <summary>
    /// Zero-fill the next segment on a background thread while the current one is written, so a
    /// rollover costs a rename instead of writing a whole segment. When false the next segment is
    /// prepared at rollover, on the calling thread.
    /// </summary>
    public bool PrepareSegmentsInBackground { get; init; } = true;

    /// <summary>
    /// Where recovery outcomes (a new or recovered log, a torn tail cut off), corruption found
    /// when opening, and I/O failures are logged; null (the default) is silent. Create it under the
    /// category <see cref="Core.Logging.RaftLogCategories.Wal"/>.
    /// </summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// The clock <see cref="SyncInterval"/> is measured on (default <see cref="TimeProvider.System"/>;
    /// tests pass a fake one).
    /// </summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Time);
        if (SegmentSize < 4096)
        {
            throw new ArgumentOutOfRangeException(nameof(SegmentSize), SegmentSize, "a segment must be at least 4096 bytes");
        }
        if (CacheBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CacheBytes), CacheBytes, "the cache size cannot be negative");
        }
        if (PayloadChunkSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(PayloadChunkSize), PayloadChunkSize, "the chunk size must be positive");
        }
        if (SyncPolicy == WalSyncPolicy.Interval && SyncInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(SyncInterval), SyncInterval, "the sync interval must be positive");
        }
    }
}
