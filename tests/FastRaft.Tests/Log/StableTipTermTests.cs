using FastRaft.Core;
using FastRaft.Core.Log;
using FastRaft.Core.Logging;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;
using static FastRaft.Tests.Log.LogFixtures;

namespace FastRaft.Tests.Log;

/// <summary>
/// The log answers the term of the last entry that became stable without asking the storage
/// (the leader's next append and the follower's matching check ask for it every time), and
/// never with a term the log has since rewritten.
/// </summary>
public class StableTipTermTests
{
    /// <summary>A MemoryStorage that counts the Term calls made through it.</summary>
    private sealed class CountingStorage(MemoryStorage inner) : IStorage
    {
        public int TermCalls;

        public MemoryStorage Inner => inner;

        public StorageStatus InitialState(out HardState hardState, out ConfState confState) => inner.InitialState(out hardState, out confState);

        public StorageStatus Entries(ulong lo, ulong hi, ulong maxSize, EntryBuffer destination) => inner.Entries(lo, hi, maxSize, destination);

        public StorageStatus Term(ulong i, out ulong term)
        {
            TermCalls++;
            return inner.Term(i, out term);
        }

        public ulong LastIndex() => inner.LastIndex();

        public ulong FirstIndex() => inner.FirstIndex();

        public StorageStatus Snapshot(out Snapshot snapshot) => inner.Snapshot(out snapshot);
    }

    /// <summary>Appends to the log, persists what it hands out, and marks it stable, as a Ready cycle does.</summary>
    private static void AppendAndPersist(RaftLog log, CountingStorage storage, params Entry[] ents)
    {
        log.Append(ents);
        Entry[] next = log.NextUnstableEnts().ToArray();
        log.AcceptUnstable();
        Ok(storage.Inner.Append(next));
        log.StableTo(next[^1].Index, next[^1].Term);
    }

    private static ulong TermOf(RaftLog log, ulong i)
    {
        Assert.Equal(StorageStatus.Ok, log.Term(i, out ulong term));
        return term;
    }

    [Fact]
    public void The_last_stable_entry_is_answered_without_a_storage_call()
    {
        var storage = new CountingStorage(new MemoryStorage());
        var log = new RaftLog(storage, RaftLogger.Null);
        AppendAndPersist(log, storage, Terms(1, 1, 1, 2));

        int before = storage.TermCalls;
        Assert.Equal(2UL, TermOf(log, 3));
        Assert.Equal(before, storage.TermCalls);

        // Older stable entries still come from the storage.
        Assert.Equal(1UL, TermOf(log, 2));
        Assert.Equal(before + 1, storage.TermCalls);
    }

    [Fact]
    public void A_rewritten_tip_is_answered_with_its_new_term()
    {
        var storage = new CountingStorage(new MemoryStorage());
        var log = new RaftLog(storage, RaftLogger.Null);
        AppendAndPersist(log, storage, Terms(1, 1, 1, 1));

        // A new leader overwrites entries 2 and 3: the unstable log answers for them...
        log.Append(Terms(2, 2, 2));
        Assert.Equal(2UL, TermOf(log, 3));

        // ...and once they are stable again, so does the new tip.
        Entry[] next = log.NextUnstableEnts().ToArray();
        log.AcceptUnstable();
        Ok(storage.Inner.Append(next));
        log.StableTo(3, 2);
        Assert.Equal(2UL, TermOf(log, 3));
        Assert.Equal(2UL, TermOf(log, 2));
        Assert.Equal(1UL, TermOf(log, 1));

        // A shorter rewrite: index 3 is gone, 2 has the newest term.
        AppendAndPersist(log, storage, Terms(2, 3));
        Assert.Equal(3UL, TermOf(log, 2));
        Assert.Equal(StorageStatus.Unavailable, log.Term(3, out _));
    }

    [Fact]
    public void After_a_snapshot_the_old_tip_is_not_remembered()
    {
        var storage = new CountingStorage(new MemoryStorage());
        var log = new RaftLog(storage, RaftLogger.Null);
        AppendAndPersist(log, storage, Terms(1, 1, 1, 1));

        log.Restore(Snap(10, 4));
        Ok(storage.Inner.ApplySnapshot(Snap(10, 4)));
        log.StableSnapTo(10);

        Assert.Equal(StorageStatus.Compacted, log.Term(3, out _));
        Assert.Equal(4UL, TermOf(log, 10));
    }
}
