namespace FastRaft.Sample.Matching;

/// <summary>What the engine remembers of a client for deduplication.</summary>
/// <param name="ClientId">The client.</param>
/// <param name="LastSequence">The sequence number of the client's last applied command.</param>
/// <param name="Applied">How many of the client's commands took effect (each sequence number once; duplicates and stale copies not counted).</param>
/// <param name="LastResult">The answer to the last command, given again to a resend of it.</param>
public readonly record struct ClientRecord(ulong ClientId, ulong LastSequence, long Applied, CommandResult LastResult);
