#pragma warning disable CS1591 // docs pending: api helper
namespace FastRaft.Protocol;

/// <summary>The role of a node. Numbering matches etcd's StateType.</summary>
public enum StateType
{
    StateFollower = 0,
    StateCandidate = 1,
    StateLeader = 2,
    StatePreCandidate = 3,
}
