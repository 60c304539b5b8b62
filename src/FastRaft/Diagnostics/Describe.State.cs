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

    /// <summary>etcd's name for a message type: <c>MsgApp</c> for <see cref="MessageType.Append"/>, <c>MsgHeartbeatResp</c> for <see cref="MessageType.HeartbeatResponse"/>.</summary>
    public static string EtcdName(MessageType type) => EtcdTypeText.Of(type);

    /// <summary>etcd's name for an entry type: <c>EntryNormal</c>, <c>EntryConfChange</c>, <c>EntryConfChangeV2</c>.</summary>
    public static string EtcdName(EntryType type) => EtcdTypeText.Of(type);

    /// <summary>etcd's name for a membership operation: <c>ConfChangeAddNode</c>, <c>ConfChangeRemoveNode</c>, <c>ConfChangeUpdateNode</c>, <c>ConfChangeAddLearnerNode</c>.</summary>
    public static string EtcdName(ConfChangeType type) => EtcdTypeText.Of(type);

    /// <summary>etcd's name for a transition: <c>ConfChangeTransitionAuto</c>, <c>ConfChangeTransitionJointImplicit</c>, <c>ConfChangeTransitionJointExplicit</c>.</summary>
    public static string EtcdName(ConfChangeTransition transition) => EtcdTypeText.Of(transition);
}
