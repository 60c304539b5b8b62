namespace FastRaft.Sample.Matching;

/// <summary>How the engine handled a command.</summary>
public enum ResultCode : byte
{
    /// <summary>Nothing was applied (an empty entry, such as the one each new Raft leader commits).</summary>
    None = 0,

    /// <summary>The order was taken: see the filled, resting and cancelled quantities.</summary>
    Accepted = 1,

    /// <summary>The resting order was removed from the book.</summary>
    Cancelled = 2,

    /// <summary>The command was refused; <see cref="CommandResult.Reason"/> says why. Nothing changed.</summary>
    Rejected = 3,

    /// <summary>
    /// The command's sequence number is older than the client's last one: a late copy of a
    /// command already answered. Nothing changed, and the original result is no longer kept.
    /// </summary>
    Stale = 4,
}
