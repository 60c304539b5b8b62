namespace FastRaft.Protocol;

/// <summary>
/// A single membership operation. Numbering matches etcd's raftpb;
/// <see cref="Diagnostics.Describe.EtcdName(ConfChangeType)"/> gives etcd's name (<c>ConfChangeAddNode</c> for <see cref="AddNode"/>).
/// </summary>
public enum ConfChangeType
{
    /// <summary>Add the node as a voter (or promote a learner to voter).</summary>
    AddNode = 0,
    /// <summary>Remove the node, voter or learner.</summary>
    RemoveNode = 1,
    /// <summary>No membership change; carries application context for the node (etcd uses it for address updates).</summary>
    UpdateNode = 2,
    /// <summary>Add the node as a learner (a non-voting member that receives the log), or turn a voter into a learner.</summary>
    AddLearnerNode = 3,
}

/// <summary>
/// How a ConfChangeV2 uses joint consensus. Numbering matches etcd's raftpb;
/// <see cref="Diagnostics.Describe.EtcdName(ConfChangeTransition)"/> gives etcd's name (<c>ConfChangeTransitionJointImplicit</c> for <see cref="Implicit"/>).
/// </summary>
public enum ConfChangeTransition
{
    /// <summary>Joint consensus when needed (more than one voter change), left automatically.</summary>
    Auto = 0,
    /// <summary>Always joint, left automatically.</summary>
    Implicit = 1,
    /// <summary>Always joint, left by an explicit empty ConfChangeV2.</summary>
    Explicit = 2,
}
