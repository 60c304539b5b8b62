namespace FastRaft.Sample.Protocol;

/// <summary>A membership change an operator asks the leader for (<c>--add-node</c>, <c>--remove-node</c>).</summary>
public enum MembershipOp : byte
{
    /// <summary>Adds a node as a learner (it receives the log but does not vote); the request carries its Raft address.</summary>
    AddLearner = 1,

    /// <summary>Makes a learner a voter.</summary>
    Promote = 2,

    /// <summary>Removes a voter or learner.</summary>
    Remove = 3,
}

/// <summary>How a node answered a membership request.</summary>
public enum MembershipStatus : byte
{
    /// <summary>The change was committed and applied on the leader; the reply carries the new membership.</summary>
    Ok = 0,

    /// <summary>This node does not lead; the reply names the leader it knows of (0: none yet).</summary>
    NotLeader = 1,

    /// <summary>The cluster cannot take the change right now (no quorum, another change pending, stopping): retry shortly.</summary>
    Unavailable = 2,

    /// <summary>The change is not allowed (the reply's detail says why); retrying will not help.</summary>
    Refused = 3,

    /// <summary>The request was not signed with this cluster's key, or its timestamp is too far from the node's clock.</summary>
    Unauthorized = 4,

    /// <summary>The request is well-formed MessagePack but not a valid change (e.g. an address that does not parse).</summary>
    BadRequest = 5,
}

/// <summary>A membership request as parsed from a datagram.</summary>
/// <param name="Op">What to change.</param>
/// <param name="NodeId">The node to change (non-zero).</param>
/// <param name="Address">The node's Raft address (AddLearner only; null otherwise).</param>
/// <param name="TimestampMs">When the client signed it (Unix milliseconds): bounds how long a captured request can be replayed.</param>
/// <param name="Mac">The HMAC over the first <paramref name="SignedLength"/> bytes of the datagram (empty when unsigned).</param>
/// <param name="SignedLength">How many bytes of the datagram the MAC covers.</param>
public readonly record struct MembershipRequest(
    MembershipOp Op, ulong NodeId, System.Net.IPEndPoint? Address, long TimestampMs, ReadOnlyMemory<byte> Mac, int SignedLength);

/// <summary>A node's answer to a membership request.</summary>
/// <param name="RequestId">The request answered.</param>
/// <param name="NodeId">The answering node.</param>
/// <param name="Status">The outcome.</param>
/// <param name="LeaderHint">The leader the answering node knows of (0: none).</param>
/// <param name="Index">The log index the change was applied at (Ok only).</param>
/// <param name="Voters">The voters after the change (Ok only).</param>
/// <param name="Learners">The learners after the change (Ok only).</param>
/// <param name="Detail">Why, for people (Refused, BadRequest, Unauthorized); may be empty.</param>
public sealed record MembershipReply(
    ulong RequestId, ulong NodeId, MembershipStatus Status, ulong LeaderHint, ulong Index,
    IReadOnlyList<ulong> Voters, IReadOnlyList<ulong> Learners, string Detail);
