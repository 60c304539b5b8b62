namespace FastRaft.Core.Quorum;

/// <summary>The state of an election as far as a quorum can tell. Names match etcd's.</summary>
internal enum VoteResult
{
    /// <summary>Neither a winning nor a losing quorum has been reached yet.</summary>
    VotePending = 1,

    /// <summary>A quorum voted against (or can no longer vote for) the candidate.</summary>
    VoteLost = 2,

    /// <summary>A quorum voted for the candidate.</summary>
    VoteWon = 3,
}
