using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Tests.Node;

/// <summary>Small conveniences over <see cref="TestCluster"/> for the behaviour tests.</summary>
internal static class TestClusterExtensions
{
    public static StateType State(this TestCluster c, ulong id) => c.Nodes[id].BasicStatus().SoftState.RaftState;

    public static ulong Lead(this TestCluster c, ulong id) => c.Nodes[id].BasicStatus().SoftState.Lead;

    public static ulong Term(this TestCluster c, ulong id) => c.Nodes[id].BasicStatus().HardState.Term;

    public static ulong Commit(this TestCluster c, ulong id) => c.Nodes[id].BasicStatus().HardState.Commit;

    /// <summary>A drop filter that cuts node <paramref name="id"/> off from everyone.</summary>
    public static Func<Message, bool> Isolating(ulong id) => m => m.To == id || m.From == id;

    /// <summary>A drop filter for every message of type <paramref name="type"/>.</summary>
    public static Func<Message, bool> Dropping(MessageType type) => m => m.Type == type;

    /// <summary>Ticks node <paramref name="id"/> <paramref name="ticks"/> times, stabilizing the cluster after each tick.</summary>
    public static void Tick(this TestCluster c, ulong id, int ticks, Func<Message, bool>? drop = null)
    {
        for (int i = 0; i < ticks; i++)
        {
            c.Nodes[id].Tick();
            c.Stabilize(drop);
        }
    }

    /// <summary>Proposes <paramref name="count"/> entries on node <paramref name="id"/>, each delivered with the given drop filter.</summary>
    public static void ProposeMany(this TestCluster c, ulong id, int count, ReadOnlyMemory<byte> data, Func<Message, bool>? drop = null)
    {
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(StepResult.Ok, c.Nodes[id].Propose(data));
            c.Stabilize(drop);
        }
    }

    /// <summary>The read states node <paramref name="id"/> has been handed so far.</summary>
    public static List<ReadState> ReadStatesOf(this TestCluster c, ulong id) => TestCluster.ListFor(c.ReadStates, id);

    /// <summary>The entries node <paramref name="id"/> has applied so far.</summary>
    public static List<Entry> AppliedOf(this TestCluster c, ulong id) => TestCluster.ListFor(c.Applied, id);

    /// <summary>
    /// Adds node <paramref name="id"/> built over a storage holding the cluster's initial snapshot
    /// (index 1, term 1) with configuration <paramref name="initial"/>, which need not include it:
    /// a node about to be added to the cluster.
    /// </summary>
    public static RawNode AddNode(this TestCluster c, ulong id, ConfState initial, Action<RaftConfig>? configure = null)
    {
        var storage = new MemoryStorage();
        Assert.Equal(StorageStatus.Ok, storage.ApplySnapshot(new Snapshot(ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(initial, 1, 1))));
        var cfg = new RaftConfig
        {
            Id = id,
            ElectionTick = 10,
            HeartbeatTick = 1,
            Storage = storage,
            MaxSizePerMsg = ulong.MaxValue,
            MaxInflightMsgs = 256,
            Applied = 1,
            Random = new Random(1234 + (int)id),
        };
        configure?.Invoke(cfg);
        var node = new RawNode(cfg);
        c.Nodes[id] = node;
        c.Storages[id] = storage;
        return node;
    }

    /// <summary>Steps every queued message matching <paramref name="match"/> into its recipient (others stay queued).</summary>
    public static int Deliver(this TestCluster c, Func<Message, bool> match)
    {
        List<Message> taken = c.Take(match);
        foreach (Message m in taken)
        {
            if (c.Nodes.TryGetValue(m.To, out RawNode? to))
            {
                to.Step(m);
            }
        }
        return taken.Count;
    }
}
