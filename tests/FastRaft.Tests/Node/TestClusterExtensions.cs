using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Tests.Node;

/// <summary>Small conveniences over either test cluster for the behaviour tests.</summary>
internal static class TestClusterExtensions
{
    public static NodeRole State(this ITestCluster c, ulong id) => c.Nodes[id].BasicStatus().SoftState.Role;

    public static ulong Lead(this ITestCluster c, ulong id) => c.Nodes[id].BasicStatus().SoftState.Lead;

    public static ulong Term(this ITestCluster c, ulong id) => c.Nodes[id].BasicStatus().HardState.Term;

    public static ulong Commit(this ITestCluster c, ulong id) => c.Nodes[id].BasicStatus().HardState.Commit;

    /// <summary>A drop filter that cuts node <paramref name="id"/> off from everyone.</summary>
    public static Func<Message, bool> Isolating(ulong id) => m => m.To == id || m.From == id;

    /// <summary>A drop filter for every message of type <paramref name="type"/>.</summary>
    public static Func<Message, bool> Dropping(MessageType type) => m => m.Type == type;

    /// <summary>Ticks node <paramref name="id"/> <paramref name="ticks"/> times, stabilizing the cluster after each tick.</summary>
    public static void Tick(this ITestCluster c, ulong id, int ticks, Func<Message, bool>? drop = null)
    {
        for (int i = 0; i < ticks; i++)
        {
            c.Tick(id);
            c.Stabilize(drop);
        }
    }

    /// <summary>Proposes <paramref name="count"/> entries on node <paramref name="id"/>, each delivered with the given drop filter.</summary>
    public static void ProposeMany(this ITestCluster c, ulong id, int count, ReadOnlyMemory<byte> data, Func<Message, bool>? drop = null)
    {
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(StepResult.Ok, c.Nodes[id].Propose(data));
            c.Stabilize(drop);
        }
    }

    /// <summary>The read states node <paramref name="id"/> has been handed so far (the core harness only: the agent consumes them).</summary>
    public static List<ReadState> ReadStatesOf(this CoreTestCluster c, ulong id) => TestCluster.ListFor(c.ReadStates, id);

    /// <summary>The entries node <paramref name="id"/> has applied so far.</summary>
    public static List<Entry> AppliedOf(this ITestCluster c, ulong id) => TestCluster.ListFor(c.Applied, id);
}
