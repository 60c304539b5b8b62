using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Idle;
using FastRaft.Hosting.InMemory;
using FastRaft.Storage;

namespace FastRaft.Tests.Hosting;

/// <summary>Builds single-voter hosts for tests.</summary>
internal static class SingleNodeHost
{
    public static RaftNodeOptions Options(ulong id, Func<IIdleStrategy>? idle = null, TimeSpan? tick = null) => new()
    {
        Raft = new RaftConfig { Id = id, ElectionTick = 10, HeartbeatTick = 1, MaxSizePerMsg = 1024 * 1024, Random = new Random(3) },
        TickInterval = tick ?? TimeSpan.FromMilliseconds(5),
        InitialMembers = [id],
        IdleStrategy = idle ?? (static () => new ParkingIdleStrategy()),
    };

    /// <summary>Starts a single voter on its own network and waits until it leads.</summary>
    public static async Task<RaftNode<ulong>> StartAsync(RecordingStateMachine sm, RaftNodeOptions? options = null, ulong id = 1)
    {
        options ??= Options(id);
        var node = new RaftNode<ulong>(options, new MemoryStorage(), new InMemoryNetwork().CreateTransport(options.Raft.Id), sm);
        node.Start();
        await TestHostCluster.Eventually(() => node.IsLeader, "the single voter to lead");
        return node;
    }
}
