namespace FastRaft.Hosting.Groups;

/// <summary>
/// Node liveness for quiesced groups: a group that stopped ticking cannot notice its leader's
/// death by an election timeout, so it asks the process, which exchanges one liveness heartbeat
/// per pair of nodes whatever the number of groups, whether the leader's node is still heard from.
/// </summary>
public interface INodeLiveness
{
    /// <summary>
    /// Whether node <paramref name="nodeId"/> has been heard from recently enough to be considered
    /// alive (any thread, no allocation). The local node is always live.
    /// </summary>
    bool IsLive(ulong nodeId);
}
