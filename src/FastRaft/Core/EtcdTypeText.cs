using FastRaft.Protocol;

namespace FastRaft.Core;

/// <summary>
/// etcd's names for message, entry and configuration-change kinds ("MsgApp", "EntryNormal",
/// "ConfChangeAddNode"). The C# enums use C# names; Core's own log lines and
/// Diagnostics.Describe print these so traces match etcd's byte for byte. Tables are indexed by the
/// enum's number (etcd's raftpb numbering), so naming a value allocates nothing.
/// </summary>
internal static class EtcdTypeText
{
    private static readonly string[] s_messageTypes =
    [
        "MsgHup", "MsgBeat", "MsgProp", "MsgApp", "MsgAppResp", "MsgVote", "MsgVoteResp", "MsgSnap",
        "MsgHeartbeat", "MsgHeartbeatResp", "MsgUnreachable", "MsgSnapStatus", "MsgCheckQuorum",
        "MsgTransferLeader", "MsgTimeoutNow", "MsgReadIndex", "MsgReadIndexResp", "MsgPreVote",
        "MsgPreVoteResp", "MsgStorageAppend", "MsgStorageAppendResp", "MsgStorageApply",
        "MsgStorageApplyResp", "MsgForgetLeader",
    ];

    private static readonly string[] s_entryTypes = ["EntryNormal", "EntryConfChange", "EntryConfChangeV2"];

    private static readonly string[] s_confChangeTypes =
        ["ConfChangeAddNode", "ConfChangeRemoveNode", "ConfChangeUpdateNode", "ConfChangeAddLearnerNode"];

    private static readonly string[] s_transitions =
        ["ConfChangeTransitionAuto", "ConfChangeTransitionJointImplicit", "ConfChangeTransitionJointExplicit"];

    public static string Of(MessageType type) => Lookup(s_messageTypes, (int)type);

    public static string Of(EntryType type) => Lookup(s_entryTypes, (int)type);

    public static string Of(ConfChangeType type) => Lookup(s_confChangeTypes, (int)type);

    public static string Of(ConfChangeTransition transition) => Lookup(s_transitions, (int)transition);

    /// <summary>The message type etcd calls <paramref name="etcdName"/> (e.g. "MsgApp"); false for any other text.</summary>
    public static bool TryParseMessageType(string etcdName, out MessageType type)
    {
        int i = Array.IndexOf(s_messageTypes, etcdName);
        type = (MessageType)i;
        return i >= 0;
    }

    // An undefined value (only reachable from a hand-built message) prints as its number, like Go's
    // generated String() does for unknown enum values.
    private static string Lookup(string[] names, int value) =>
        (uint)value < (uint)names.Length ? names[value] : value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
