using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.InMemory;
using FastRaft.Protocol;
using FastRaft.Storage;
using FastRaft.Storage.Wal;
using Microsoft.Extensions.Time.Testing;

namespace FastRaft.Tests.Hosting;

/// <summary>
/// On a shared log (an <see cref="IGroupCommit"/> storage whose Save only writes), a single-voter
/// group commits on its own write, so the agent syncs before it applies; a group with more voters
/// leaves the sync to whoever sends its messages.
/// </summary>
public class GroupCommitSyncTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(10);

    [Fact]
    public void A_single_voter_makes_its_writes_durable_before_applying_them()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero));
        var storage = new DeferredSyncStorage();
        var sm = new DurabilityCheckingStateMachine(storage);
        var agent = new RaftNodeAgent<ulong>(Options(1, [1], time), storage, new InMemoryNetwork(1).CreateTransport(1), sm);
        using var invoker = new ManualAgentInvoker(agent);
        Assert.True(invoker.RunUntil(() => agent.IsLeader, 500, () => time.Advance(Tick)), "the single voter did not lead");

        for (int k = 0; k < 20; k++)
        {
            ValueTask<ProposeResult<ulong>> pending = agent.ProposeAsync(BitConverter.GetBytes((ulong)k));
            Assert.True(invoker.RunUntil(() => pending.IsCompleted, 50, () => time.Advance(Tick)), $"proposal {k} was not applied");
        }

        Assert.True(sm.Applied >= 20, $"{sm.Applied} entries applied");
        Assert.Equal(0, sm.AppliedUnsynced);
        Assert.True(storage.Syncs > 0);
    }

    [Fact]
    public void A_single_voter_on_a_group_of_the_shared_write_ahead_log_syncs_it_before_applying()
    {
        // The view a shared log hands a group is what the node syncs through: without it being an
        // IGroupCommit, a single voter would apply (and report) entries no fdatasync had covered.
        var time = new FakeTimeProvider(new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero));
        string dir = Path.Combine(Path.GetTempPath(), "fastraft-gc-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var log = SharedWriteAheadLog.Open(dir, new WalOptions());
            WalGroup group = log.OpenGroup(7);
            Assert.IsAssignableFrom<IGroupCommit>(group);
            var sm = new DurabilityCheckingStateMachine(log);
            var agent = new RaftNodeAgent<ulong>(Options(1, [1], time), group, new InMemoryNetwork(1).CreateTransport(1), sm);
            using var invoker = new ManualAgentInvoker(agent);
            Assert.True(invoker.RunUntil(() => agent.IsLeader, 500, () => time.Advance(Tick)), "the single voter did not lead");
            long syncsBefore = log.Statistics.Syncs;

            for (int k = 0; k < 10; k++)
            {
                ValueTask<ProposeResult<ulong>> pending = agent.ProposeAsync(BitConverter.GetBytes((ulong)k));
                Assert.True(invoker.RunUntil(() => pending.IsCompleted, 50, () => time.Advance(Tick)), $"proposal {k} was not applied");
            }

            Assert.True(sm.Applied >= 10, $"{sm.Applied} entries applied");
            Assert.Equal(0, sm.AppliedUnsynced);
            Assert.True(log.Statistics.Syncs > syncsBefore, "the node never synced the shared log");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_group_of_three_voters_leaves_the_sync_to_the_sender()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero));
        var network = new InMemoryNetwork(5);
        ulong[] members = [1, 2, 3];
        var storages = new List<DeferredSyncStorage>();
        var agents = new List<RaftNodeAgent<ulong>>();
        var invokers = new List<ManualAgentInvoker>();
        try
        {
            foreach (ulong id in members)
            {
                var storage = new DeferredSyncStorage();
                var agent = new RaftNodeAgent<ulong>(Options(id, members, time), storage, network.CreateTransport(id), new DurabilityCheckingStateMachine(storage));
                storages.Add(storage);
                agents.Add(agent);
                invokers.Add(new ManualAgentInvoker(agent));
            }
            bool Round()
            {
                time.Advance(Tick);
                foreach (ManualAgentInvoker i in invokers)
                {
                    i.Invoke();
                }
                return true;
            }
            for (int r = 0; r < 1000 && !agents.Exists(a => a.IsLeader); r++)
            {
                Round();
            }
            RaftNodeAgent<ulong> leader = Assert.Single(agents, a => a.IsLeader);
            ValueTask<ProposeResult<ulong>> pending = leader.ProposeAsync(new byte[8]);
            for (int r = 0; r < 100 && !pending.IsCompleted; r++)
            {
                Round();
            }
            Assert.True(pending.IsCompleted);

            // Entries were written and applied, and no agent synced: the sender of their messages does.
            Assert.All(storages, s => Assert.True(s.Writes > 0));
            Assert.All(storages, s => Assert.Equal(0, s.Syncs));
        }
        finally
        {
            foreach (ManualAgentInvoker i in invokers)
            {
                i.Dispose();
            }
        }
    }

    private static RaftNodeOptions Options(ulong id, ulong[] members, TimeProvider time) => new()
    {
        Raft = new RaftConfig { Id = id, ElectionTick = 10, HeartbeatTick = 1, MaxSizePerMsg = 1024 * 1024, Random = new Random(7 + (int)id) },
        TickInterval = Tick,
        Time = time,
        InitialMembers = members,
    };

    /// <summary>A memory storage whose Save only "writes": nothing is durable until SyncWrites.</summary>
    private sealed class DeferredSyncStorage : IRaftStorage, IGroupCommit
    {
        private readonly MemoryStorage _inner = new();

        public bool HasUnsyncedWrites { get; private set; }

        public int Syncs { get; private set; }

        public int Writes { get; private set; }

        public void SyncWrites()
        {
            if (HasUnsyncedWrites)
            {
                Syncs++;
            }
            HasUnsyncedWrites = false;
        }

        public StorageStatus Save(HardState hardState, EntrySegments entries, Snapshot? snapshot, bool mustSync)
        {
            if (!entries.IsEmpty || !hardState.IsEmpty || snapshot is { IsEmpty: false })
            {
                HasUnsyncedWrites = true;
                Writes++;
            }
            return _inner.Save(hardState, entries, snapshot, mustSync);
        }

        public StorageStatus InitialState(out HardState hardState, out ConfState confState) => _inner.InitialState(out hardState, out confState);

        public StorageStatus Entries(ulong lo, ulong hi, ulong maxSize, EntryBuffer destination) => _inner.Entries(lo, hi, maxSize, destination);

        public StorageStatus Term(ulong i, out ulong term) => _inner.Term(i, out term);

        public ulong LastIndex() => _inner.LastIndex();

        public ulong FirstIndex() => _inner.FirstIndex();

        public StorageStatus Snapshot(out Snapshot snapshot) => _inner.Snapshot(out snapshot);

        public StorageStatus CreateSnapshot(ulong index, ConfState? confState, ReadOnlyMemory<byte> data, out Snapshot snapshot) =>
            _inner.CreateSnapshot(index, confState, data, out snapshot);

        public StorageStatus Compact(ulong compactIndex) => _inner.Compact(compactIndex);

        public void AdvanceEpoch() => _inner.AdvanceEpoch();

        public void Dispose() => _inner.Dispose();
    }

    /// <summary>Counts applied entries, and those applied while the storage still had unsynced writes.</summary>
    private sealed class DurabilityCheckingStateMachine(IGroupCommit storage) : IStateMachine<ulong>
    {
        public int Applied { get; private set; }

        public int AppliedUnsynced { get; private set; }

        public void Apply(ReadOnlySpan<Entry> entries, Span<ulong> results)
        {
            Applied += entries.Length;
            if (storage.HasUnsyncedWrites)
            {
                AppliedUnsynced += entries.Length;
            }
        }

        public void SaveSnapshot(Stream destination)
        {
        }

        public void RestoreSnapshot(Stream source)
        {
        }
    }
}
