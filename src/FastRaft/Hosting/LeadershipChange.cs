using FastRaft.Protocol;

namespace FastRaft.Hosting;

/// <summary>What a node knows about leadership after a change of term, leader or its own role.</summary>
/// <param name="Term">The node's current term.</param>
/// <param name="Leader">The known leader, or 0 when there is none.</param>
/// <param name="Role">This node's role.</param>
public readonly record struct LeadershipChange(ulong Term, ulong Leader, NodeRole Role);
