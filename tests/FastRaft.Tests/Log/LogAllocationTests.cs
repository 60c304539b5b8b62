using FastRaft.Core;
using FastRaft.Core.Log;
using FastRaft.Core.Logging;
using FastRaft.Protocol;
using FastRaft.Storage;
using static FastRaft.Tests.Log.LogFixtures;

namespace FastRaft.Tests.Log;

/// <summary>The log's hot path (append, hand out, persist, commit, apply, advance) allocates nothing once warm.</summary>
[Collection(Perf.AllocationGateCollection.Name)]
public class LogAllocationTests
{
    [Fact]
    public void Unstable_truncate_and_append_hand_out_stable_to_and_advance_allocate_nothing()
    {
        var u = new Unstable(RaftLogger.Null, 1);
        var batch = new Entry[4];
        byte[] payload = new byte[100];
        ulong next = 1;

        void Cycle(int n)
        {
            for (int k = 0; k < n; k++)
            {
                for (int j = 0; j < batch.Length; j++)
                {
                    batch[j] = new Entry(1, next + (ulong)j, EntryType.Normal, payload);
                }
                u.TruncateAndAppend(batch);
                // Handed out as a Ready would: the ring keeps the slots for two epochs.
                if (u.NextEntries().Length != batch.Length)
                {
                    throw new InvalidOperationException("the new entries were not handed out");
                }
                u.AcceptInProgress();
                next += (ulong)batch.Length;
                u.StableTo(next - 1, 1);
                u.AdvanceEpoch();
            }
        }

        Cycle(2000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Cycle(5000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Raft_log_ready_cycle_with_memory_storage_allocates_nothing()
    {
        var storage = new MemoryStorage();
        var log = new RaftLog(storage, RaftLogger.Null);
        var batch = new Entry[4];
        byte[] payload = new byte[64];
        var toPersist = new EntryBuffer(64);
        var committed = new EntryBuffer(64);
        var sent = new EntryBuffer(64);
        ulong next = 1;

        void Cycle(int n)
        {
            for (int k = 0; k < n; k++)
            {
                for (int j = 0; j < batch.Length; j++)
                {
                    batch[j] = new Entry(1, next + (ulong)j, EntryType.Normal, payload);
                }
                ulong last = log.Append(batch);
                next = last + 1;

                // Ready: entries to persist, then what a leader would send to a lagging follower.
                toPersist.Clear();
                toPersist.AddRange(log.NextUnstableEnts());
                log.AcceptUnstable();
                sent.Clear();
                Ok(log.Slice(last > 8 ? last - 8 : 1, last + 1, 4096, sent));

                // Persist, commit, apply, advance.
                Ok(storage.Append(toPersist.Span));
                log.StableTo(last, 1);
                log.CommitTo(last);
                committed.Clear();
                log.NextCommittedEnts(false, committed);
                ulong size = EntrySizes.EntsSize(committed.Span);
                log.AcceptApplying(committed[committed.Count - 1].Index, size, false);
                log.AppliedTo(committed[committed.Count - 1].Index, size);
                if (last > 16)
                {
                    Ok(storage.Compact(last - 16));
                }
                log.AdvanceEpoch();
                storage.AdvanceEpoch();
            }
        }

        Cycle(2000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Cycle(5000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(next - 1, log.Applied);
    }
}
