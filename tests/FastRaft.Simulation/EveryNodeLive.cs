using FastRaft.Hosting.Groups;

namespace FastRaft.Simulation;

/// <summary>A broken node liveness (the DeafLiveness sabotage): every node always lives, dead or not.</summary>
internal sealed class EveryNodeLive : INodeLiveness
{
    public static readonly EveryNodeLive Instance = new();

    public bool IsLive(ulong nodeId) => true;
}
