using FastRaft.Protocol;

namespace FastRaft.Hosting.Groups;

/// <summary>
/// One Raft group of a <see cref="RaftGroupHost"/>, whatever its state machine's result type: the
/// registry's view of the group's <see cref="RaftNode{TResult}"/> (which
/// <c>RaftGroupHost.CreateGroup</c> returns for everything else).
/// </summary>
public interface IRaftGroup
{
    /// <summary>The group's id in its host.</summary>
    ulong GroupId { get; }

    /// <summary>This replica's node id within the group.</summary>
    ulong NodeId { get; }

    /// <summary>This replica's role in the group.</summary>
    NodeRole Role { get; }

    /// <summary>Whether this replica leads the group as of its last duty cycle (a hint).</summary>
    bool IsLeader { get; }

    /// <summary>
    /// Stops this replica (see <see cref="RaftNode{TResult}.StopAsync"/>); the group keeps its id
    /// in the host until <see cref="RaftGroupHost.RemoveGroupAsync"/>.
    /// </summary>
    Task StopAsync();
}
