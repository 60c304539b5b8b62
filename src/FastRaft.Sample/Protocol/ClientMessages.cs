using FastRaft.Sample.Matching;

namespace FastRaft.Sample.Protocol;

/// <summary>
/// A node's answer to a submitted command. With NotLeader (and Unavailable or Retry when a leader
/// is known), <see cref="LeaderAddress"/> is the leader's client gateway when the answering node
/// knows it, so a client moves there even when the leader is not on its own list.
/// </summary>
public readonly record struct SubmitReply(
    ulong RequestId, ulong NodeId, SubmitStatus Status, ulong LeaderHint, ulong Index, ulong Term, CommandResult Result,
    System.Net.IPEndPoint? LeaderAddress = null);

/// <summary>What one client session looks like on a replica.</summary>
public readonly record struct ClientState(ulong ClientId, ulong LastSequence, long Applied);

/// <summary>A replica's state as a node reports it: position, state hash, statistics and the client records asked for.</summary>
public sealed record ReplicaState(
    ulong NodeId,
    string Role,
    ulong Term,
    ulong Leader,
    ulong Commit,
    ulong LastApplied,
    byte[] StateHash,
    EngineStatistics Statistics,
    int RestingOrders,
    IReadOnlyList<ClientState> Clients);
