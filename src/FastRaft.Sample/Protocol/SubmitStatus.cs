namespace FastRaft.Sample.Protocol;

/// <summary>How a node answered a submitted command.</summary>
public enum SubmitStatus : byte
{
    /// <summary>Committed and applied: the reply carries the result, the entry's index and term.</summary>
    Ok = 0,

    /// <summary>This node does not lead; the reply names the leader it knows of (0: none yet).</summary>
    NotLeader = 1,

    /// <summary>The cluster cannot take the command right now (no quorum, overloaded, stopping): retry shortly.</summary>
    Unavailable = 2,

    /// <summary>The proposal was lost to a leader change or its fate is unknown: resend the same command (deduplication makes that safe).</summary>
    Retry = 3,

    /// <summary>The command is not a command (it was not proposed); the result says Malformed.</summary>
    BadRequest = 4,
}
