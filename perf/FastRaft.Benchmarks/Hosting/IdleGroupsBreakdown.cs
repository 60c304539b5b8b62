using FastRaft.Benchmarks.Workloads;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.Groups;
using FastRaft.Hosting.InMemory;
using FastRaft.Storage;

namespace FastRaft.Benchmarks.Hosting;

/// <summary>
/// Where an idle replica's heap goes (<c>idle-groups --breakdown</c>): the retained size of each
/// part, built fresh many times over (a full GC's heap delta over the count). A node agent's parts
/// are measured the same way as the agent itself; what a running group adds on top (pooled
/// batches, grown arenas) is the idle run's figure minus these.
/// </summary>
internal static class IdleGroupsBreakdown
{
    private const int Count = 2000;

    public static int Run()
    {
        var signal = new SignalWaitSource();
        Measure("InMemoryNetwork + 3 transports (the benchmark's per-group network)", () =>
        {
            var n = new InMemoryNetwork(1);
            return (n, n.CreateTransport(1, signal), n.CreateTransport(2, signal), n.CreateTransport(3, signal));
        });
        Measure("InboundBatch (4 KiB buffer, an in-memory network's pool holds these)", () => new InboundBatchPool(1, 4096).Rent());
        Measure("MemoryStorage", () => new MemoryStorage());
        Measure("RawNode over a MemoryStorage (core: log rings, arenas, tracker)", () =>
            new RawNode(new RaftConfig { Id = 1, ElectionTick = 10, HeartbeatTick = 1, Storage = new MemoryStorage() }));
        Measure("RawNode bootstrapped with 3 voters", () =>
        {
            var raw = new RawNode(new RaftConfig { Id = 1, ElectionTick = 10, HeartbeatTick = 1, Storage = new MemoryStorage() });
            raw.Bootstrap([1, 2, 3]);
            return raw;
        });
        Measure("RaftNodeAgent (MemoryStorage, transport and network included)", () =>
        {
            var n = new InMemoryNetwork(1);
            return new RaftNodeAgent<long>(Options(), new MemoryStorage(), n.CreateTransport(1, signal), new AppliedCounter());
        });
        Measure("RequestQueue (request ring, proposal and read pools)", () => new FastRaft.Hosting.Requests.RequestQueue<long>(Options(), signal, new PublishedStatus(), new NodeCounters()));
        Measure("RequestTracker", () => new FastRaft.Hosting.Requests.RequestTracker<long>(new NodeCounters(), new PublishedStatus(), 20));
        Measure("NodeCounters", () => new NodeCounters());
        Measure("OperationPool<ReadOperation>(4096) (two per agent: proposals and reads)", () => new FastRaft.Hosting.Requests.OperationPool<FastRaft.Hosting.Requests.ReadOperation>(4096));
        Measure("MpscRing<object>(16) (the request queue's initial ring)", () => new MpscRing<object>(16, 1 << 16));
        Measure("MpscRing<object>(4) (an inbox ring's initial size)", () => new MpscRing<object>(4, 4096));
        Measure("RaftNodeAgent without its meter, started (MemoryStorage, transport and network included)", () =>
        {
            var n = new InMemoryNetwork(1);
            var agent = new RaftNodeAgent<long>(Options() with { PublishMeter = false }, new MemoryStorage(), n.CreateTransport(1, signal), new AppliedCounter());
            agent.Open();
            return agent;
        });
        Measure("RaftNodeAgent with its meter, started (the default)", () =>
        {
            var n = new InMemoryNetwork(1);
            var agent = new RaftNodeAgent<long>(Options(), new MemoryStorage(), n.CreateTransport(1, signal), new AppliedCounter());
            agent.Open();
            return agent;
        });
        return 0;
    }

    private static RaftNodeOptions Options() => new()
    {
        Raft = new RaftConfig { Id = 1, ElectionTick = 10, HeartbeatTick = 1 },
        InitialMembers = [1, 2, 3],
        QuiesceAfterTicks = 3,
        Liveness = new AllLive(),
    };

    private static void Measure(string what, Func<object> build)
    {
        var keep = new object[Count];
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < Count; i++)
        {
            keep[i] = build();
        }
        long after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"{(after - before) / Count,9} B  {what}");
        GC.KeepAlive(keep);
    }

    private sealed class AllLive : INodeLiveness
    {
        public bool IsLive(ulong nodeId) => true;
    }
}
