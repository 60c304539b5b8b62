namespace FastRaft.Protocol;

/// <summary>A single membership operation. Numbering matches etcd's raftpb.</summary>
public enum ConfChangeType
{
    ConfChangeAddNode = 0,
    ConfChangeRemoveNode = 1,
    ConfChangeUpdateNode = 2,
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
