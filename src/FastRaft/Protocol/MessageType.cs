namespace FastRaft.Protocol;

/// <summary>The kinds of Raft messages. Numbering matches etcd's raftpb so traces line up.</summary>
public enum MessageType
{
    MsgHup = 0,
    MsgBeat = 1,
    MsgProp = 2,
    MsgApp = 3,
    MsgAppResp = 4,
    MsgVote = 5,
    MsgVoteResp = 6,
    MsgSnap = 7,
    MsgHeartbeat = 8,
    MsgHeartbeatResp = 9,
    MsgUnreachable = 10,
    MsgSnapStatus = 11,
    MsgCheckQuorum = 12,
    MsgTransferLeader = 13,
    MsgTimeoutNow = 14,
    MsgReadIndex = 15,
    MsgReadIndexResp = 16,
    MsgPreVote = 17,
    MsgPreVoteResp = 18,
    MsgStorageAppend = 19,
    MsgStorageAppendResp = 20,
    MsgStorageApply = 21,
    MsgStorageApplyResp = 22,
    MsgForgetLeader = 23,
}
