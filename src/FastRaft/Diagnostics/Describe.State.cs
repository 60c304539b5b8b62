using FastRaft.Core;
using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Diagnostics;

public static partial class Describe
{
    /// <summary>etcd's name for a role: <c>StateFollower</c>, <c>StateCandidate</c>, <c>StateLeader</c>, <c>StatePreCandidate</c>.</summary>
    public static string Role(NodeRole role) => EtcdStateText.Of(role);

    /// <summary>etcd's name for a replication state: <c>StateProbe</c>, <c>StateReplicate</c>, <c>StateSnapshot</c>.</summary>
    public static string ProgressState(ProgressState state) => EtcdStateText.Of(state);
}
