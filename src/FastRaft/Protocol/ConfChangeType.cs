namespace FastRaft.Protocol;

/// <summary>A single membership operation. Numbering matches etcd's raftpb.</summary>
public enum ConfChangeType
{
    /// <summary>Add the node as a voter (or promote a learner to voter).</summary>
    ConfChangeAddNode = 0,
    /// <summary>Remove the node, voter or learner.</summary>
    ConfChangeRemoveNode = 1,
    /// <summary>No membership change; carries application context for the node (etcd uses it for address updates).</summary>
    ConfChangeUpdateNode = 2,
    /// <summary>Add the node as a learner (a non-voting member that receives the log), or turn a voter into a learner.</summary>
    ConfChangeAddLearnerNode = 3,
}

/// <summary>How a ConfChangeV2 uses joint consensus. Numbering matches etcd's raftpb.</summary>
public enum ConfChangeTransition
{
    /// <summary>Joint consensus when needed (more than one voter change), left automatically.</summary>
    ConfChangeTransitionAuto = 0,
    /// <summary>Always joint, left automatically.</summary>
    ConfChangeTransitionJointImplicit = 1,
    /// <summary>Always joint, left by an explicit empty ConfChangeV2.</summary>
    ConfChangeTransitionJointExplicit = 2,
}
