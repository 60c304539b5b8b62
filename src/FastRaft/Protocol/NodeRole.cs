namespace FastRaft.Protocol;

/// <summary>The role of a node. Numbering matches etcd's StateType; Diagnostics.Describe.Role gives etcd's text.</summary>
public enum NodeRole
{
    Follower = 0,
    Candidate = 1,
    Leader = 2,
    PreCandidate = 3,
}
