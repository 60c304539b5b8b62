using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Core;

/// <summary>
/// etcd's names for roles and progress states ("StateLeader", "StateProbe"). Core's own log lines
/// use them so traces match etcd's; everything else reaches them through Diagnostics.Describe.
/// </summary>
internal static class EtcdStateText
{
    public static string Of(NodeRole role) => role switch
    {
        NodeRole.Follower => "StateFollower",
        NodeRole.Candidate => "StateCandidate",
        NodeRole.Leader => "StateLeader",
        NodeRole.PreCandidate => "StatePreCandidate",
        _ => ((int)role).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static string Of(ProgressState state) => state switch
    {
        ProgressState.Probe => "StateProbe",
        ProgressState.Replicate => "StateReplicate",
        ProgressState.Snapshot => "StateSnapshot",
        _ => ((int)state).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
