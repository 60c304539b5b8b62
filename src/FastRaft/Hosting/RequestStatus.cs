namespace FastRaft.Hosting;

/// <summary>How a request to a node host (proposal, read, membership change, leader transfer) ended.</summary>
public enum RequestStatus
{
    /// <summary>Done: the entry was committed and applied locally, the read is safe, the change took effect.</summary>
    Ok = 0,

    /// <summary>This node is not the leader (or, for a read, knows no leader); the result's LeaderHint names the leader when known.</summary>
    NotLeader,

    /// <summary>The consensus core dropped the proposal; the result's DropReason says why. Nothing was appended.</summary>
    Dropped,

    /// <summary>Another leader's entry took the proposal's index: it will never be applied. Safe to retry.</summary>
    Lost,

    /// <summary>
    /// The node jumped past the proposal's index by installing a snapshot, so it cannot tell whether
    /// the entry was committed. Retrying may apply it twice.
    /// </summary>
    Unknown,

    /// <summary>The leader refused a membership change (another one is still pending, or the joint state forbids it).</summary>
    Refused,

    /// <summary>A read or leader transfer got no answer within its deadline.</summary>
    TimedOut,

    /// <summary>The node's request queue is full; nothing was submitted.</summary>
    Overloaded,

    /// <summary>The node stopped before the request finished. For a proposal already in the log the outcome is unknown.</summary>
    ShuttingDown,
}
