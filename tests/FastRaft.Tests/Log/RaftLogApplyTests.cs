using FastRaft.Core;
using FastRaft.Core.Log;
using FastRaft.Core.Logging;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;
using static FastRaft.Tests.Log.LogFixtures;

namespace FastRaft.Tests.Log;

/// <summary>etcd's log_test.go cases about handing out committed entries and the applying size limit.</summary>
public class RaftLogApplyTests
{
    /// <summary>
    /// The setup shared by etcd's tests: snapshot at (3, 1), entry 4 stable, entries 5 and 6
    /// unstable, committed up to 5.
    /// </summary>
    private static RaftLog CommittedLog(ulong applied, ulong maxApplyingEntsSize = ulong.MaxValue)
    {
        MemoryStorage storage = StorageWithSnapshot(3, 1);
        Entry[] ents = Terms(4, 1, 1, 1);
        Assert.Equal(StorageStatus.Ok, storage.Append(ents.AsSpan(0, 1)));
        var log = new RaftLog(storage, RaftLogger.Null, maxApplyingEntsSize);
        log.Append(ents);
        log.StableTo(4, 1);
        log.TryCommit(5, 1);
        log.AppliedTo(applied, 0);
        return log;
    }

    public static TheoryData<ulong, ulong, bool, bool, bool, ulong[]> NextCommittedEntsCases => new()
    {
        // applied, applying, allowUnstable, paused, snapshot -> indexes handed out
        { 3, 3, true, false, false, [4, 5] },
        { 3, 4, true, false, false, [5] },
        { 3, 5, true, false, false, [] },
        { 4, 4, true, false, false, [5] },
        { 4, 5, true, false, false, [] },
        { 5, 5, true, false, false, [] },
        // Don't allow unstable entries.
        { 3, 3, false, false, false, [4] },
        { 3, 4, false, false, false, [] },
        { 3, 5, false, false, false, [] },
        { 4, 4, false, false, false, [] },
        { 4, 5, false, false, false, [] },
        { 5, 5, false, false, false, [] },
        // Paused.
        { 3, 3, true, true, false, [] },
        // With snapshot.
        { 3, 3, true, false, true, [] },
    };

    [Theory]
    [MemberData(nameof(NextCommittedEntsCases))]
    public void NextCommittedEnts(ulong applied, ulong applying, bool allowUnstable, bool paused, bool snap, ulong[] windexes)
    {
        RaftLog log = CommittedLog(applied);
        log.AcceptApplying(applying, 0, allowUnstable);
        log.ApplyingEntsPaused = paused;
        if (snap)
        {
            log.Restore(Snap(4, 1));
        }

        var dest = new EntryBuffer();
        log.NextCommittedEnts(allowUnstable, dest);

        Assert.Equal(windexes, Array.ConvertAll(ToArray(dest), e => e.Index));
        Assert.Equal(windexes.Length > 0, log.HasNextCommittedEnts(allowUnstable));
    }

    [Fact]
    public void NextCommittedEnts_appends_after_what_the_buffer_holds()
    {
        RaftLog log = CommittedLog(3);
        var dest = new EntryBuffer();
        dest.Add(new Entry(9, 99));

        log.NextCommittedEnts(true, dest);

        Assert.Equal([99UL, 4, 5], Array.ConvertAll(ToArray(dest), e => e.Index));
    }

    [Fact]
    public void NextCommittedEnts_respects_the_applying_size_limit()
    {
        ulong one = new Entry(1, 4).Size;
        RaftLog log = CommittedLog(3, maxApplyingEntsSize: one);
        var dest = new EntryBuffer();

        log.NextCommittedEnts(true, dest);
        Assert.Equal([4UL], Array.ConvertAll(ToArray(dest), e => e.Index));

        log.AcceptApplying(4, one, true);
        Assert.True(log.ApplyingEntsPaused);
        Assert.False(log.HasNextCommittedEnts(true));

        log.AppliedTo(4, one);
        Assert.False(log.ApplyingEntsPaused);
        dest.Clear();
        log.NextCommittedEnts(true, dest);
        Assert.Equal([5UL], Array.ConvertAll(ToArray(dest), e => e.Index));
    }

    public static TheoryData<ulong, bool, long, bool> AcceptApplyingCases => new()
    {
        // index, allowUnstable, size relative to the limit (100) -> paused
        { 3, true, -1, true },
        { 3, true, 0, true },
        { 3, true, 1, true },
        { 4, true, -1, true },
        { 4, true, 0, true },
        { 4, true, 1, true },
        { 5, true, -1, false },
        { 5, true, 0, true },
        { 5, true, 1, true },
        // Don't allow unstable entries.
        { 3, false, -1, true },
        { 3, false, 0, true },
        { 3, false, 1, true },
        { 4, false, -1, false },
        { 4, false, 0, true },
        { 4, false, 1, true },
        { 5, false, -1, false },
        { 5, false, 0, true },
        { 5, false, 1, true },
    };

    [Theory]
    [MemberData(nameof(AcceptApplyingCases))]
    public void AcceptApplying(ulong index, bool allowUnstable, long sizeDelta, bool wpaused)
    {
        const ulong maxSize = 100;
        RaftLog log = CommittedLog(3, maxSize);

        log.AcceptApplying(index, (ulong)((long)maxSize + sizeDelta), allowUnstable);

        Assert.Equal(wpaused, log.ApplyingEntsPaused);
    }

    public static TheoryData<ulong, ulong, ulong, bool> AppliedToCases => new()
    {
        // index, size -> applying size, paused (limit 100, 105 outstanding)
        // Apply some of in-progress entries (applying = 5 below).
        { 4, 4, 101, true },
        { 4, 5, 100, true },
        { 4, 6, 99, false },
        // Apply all of in-progress entries.
        { 5, 4, 101, true },
        { 5, 5, 100, true },
        { 5, 6, 99, false },
        // Apply all of outstanding bytes.
        { 4, 105, 0, false },
        // Apply more than outstanding bytes: incorrect accounting doesn't underflow.
        { 4, 106, 0, false },
    };

    [Theory]
    [MemberData(nameof(AppliedToCases))]
    public void AppliedTo(ulong index, ulong size, ulong wapplyingSize, bool wpaused)
    {
        const ulong maxSize = 100;
        const ulong overshoot = 5;
        RaftLog log = CommittedLog(3, maxSize);
        log.AcceptApplying(5, maxSize + overshoot, allowUnstable: false);

        log.AppliedTo(index, size);

        Assert.Equal(index, log.Applied);
        Assert.Equal(5UL, log.Applying);
        Assert.Equal(wapplyingSize, log.ApplyingEntsSize);
        Assert.Equal(wpaused, log.ApplyingEntsPaused);
    }

    [Fact]
    public void Applying_and_applied_out_of_range_panic()
    {
        RaftLog log = CommittedLog(4);

        Assert.Equal("applied(3) is out of range [prevApplied(4), committed(5)]",
            Assert.Throws<RaftPanicException>(() => log.AppliedTo(3, 0)).Message);
        Assert.Equal("applied(6) is out of range [prevApplied(4), committed(5)]",
            Assert.Throws<RaftPanicException>(() => log.AppliedTo(6, 0)).Message);
        Assert.Equal("applying(6) is out of range [prevApplying(4), committed(5)]",
            Assert.Throws<RaftPanicException>(() => log.AcceptApplying(6, 0, true)).Message);
    }

    [Fact]
    public void MaxAppliableIndex_stops_at_the_stable_entries_unless_allowed()
    {
        RaftLog log = CommittedLog(3);

        Assert.Equal(5UL, log.MaxAppliableIndex(allowUnstable: true));
        Assert.Equal(4UL, log.MaxAppliableIndex(allowUnstable: false));
    }

    [Fact]
    public void Snapshot_prefers_the_unstable_one()
    {
        RaftLog log = CommittedLog(3);
        Assert.Equal(StorageStatus.Ok, log.Snapshot(out Snapshot stored));
        Assert.Equal(3UL, stored.Metadata.Index);
        Assert.False(log.HasNextOrInProgressSnapshot());

        Snapshot incoming = Snap(10, 2);
        log.Restore(incoming);

        Assert.Equal(StorageStatus.Ok, log.Snapshot(out Snapshot got));
        Assert.Same(incoming, got);
        Assert.True(log.HasNextUnstableSnapshot());
        Assert.Same(incoming, log.NextUnstableSnapshot());

        log.AcceptUnstable();
        Assert.False(log.HasNextUnstableSnapshot());
        Assert.True(log.HasNextOrInProgressSnapshot());

        log.StableSnapTo(10);
        Assert.False(log.HasNextOrInProgressSnapshot());
    }
}
