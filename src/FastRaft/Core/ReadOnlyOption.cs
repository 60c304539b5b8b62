namespace FastRaft.Core;

/// <summary>How a leader serves ReadIndex requests.</summary>
public enum ReadOnlyOption
{
    /// <summary>Confirm leadership with a quorum round of heartbeats before answering (the default).</summary>
    Safe = 0,

    /// <summary>Answer from the leader lease without a round trip; relies on bounded clock drift and needs CheckQuorum.</summary>
    LeaseBased = 1,
}
