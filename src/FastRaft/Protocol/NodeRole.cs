namespace FastRaft.Protocol;

/// <summary>The role of a node. Numbering matches etcd's StateType; Diagnostics.Describe.Role gives etcd's text.</summary>
public enum NodeRole
{
    /// <summary>Follows a leader (or waits for one): accepts its appends and votes in elections.</summary>
    Follower = 0,

    /// <summary>Campaigning for leadership in a new term after its election timeout passed.</summary>
    Candidate = 1,

    /// <summary>Leads the current term: orders proposals, replicates them and decides commits.</summary>
    Leader = 2,

    /// <summary>Asking whether it could win an election (PreVote) before raising its term.</summary>
    PreCandidate = 3,
}
