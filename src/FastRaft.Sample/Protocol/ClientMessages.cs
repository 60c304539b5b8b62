using FastRaft.Sample.Matching;

namespace FastRaft.Sample.Protocol;

/// <summary>A node's answer to a submitted command.</summary>
public readonly record struct SubmitReply(
    ulong RequestId, ulong NodeId, SubmitStatus Status, ulong LeaderHint, ulong Index, ulong Term, CommandResult Result);

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
