using FastRaft.Core;
using FastRaft.Diagnostics;
using FastRaft.Protocol;

namespace FastRaft.Tests.Diagnostics;

// The enums carry C# names; etcd's raftpb names (what traces and conformance scripts print) come
// only from Describe.EtcdName. Each table pins the C# member to etcd's name for the same number.
public class DescribeEtcdNameTests
{
    public static TheoryData<MessageType, int, string> MessageTypes => new()
    {
        { MessageType.Hup, 0, "MsgHup" },
        { MessageType.Beat, 1, "MsgBeat" },
        { MessageType.Propose, 2, "MsgProp" },
        { MessageType.Append, 3, "MsgApp" },
        { MessageType.AppendResponse, 4, "MsgAppResp" },
        { MessageType.Vote, 5, "MsgVote" },
        { MessageType.VoteResponse, 6, "MsgVoteResp" },
        { MessageType.Snapshot, 7, "MsgSnap" },
        { MessageType.Heartbeat, 8, "MsgHeartbeat" },
        { MessageType.HeartbeatResponse, 9, "MsgHeartbeatResp" },
        { MessageType.Unreachable, 10, "MsgUnreachable" },
        { MessageType.SnapshotStatus, 11, "MsgSnapStatus" },
        { MessageType.CheckQuorum, 12, "MsgCheckQuorum" },
        { MessageType.TransferLeader, 13, "MsgTransferLeader" },
        { MessageType.TimeoutNow, 14, "MsgTimeoutNow" },
        { MessageType.ReadIndex, 15, "MsgReadIndex" },
        { MessageType.ReadIndexResponse, 16, "MsgReadIndexResp" },
        { MessageType.PreVote, 17, "MsgPreVote" },
        { MessageType.PreVoteResponse, 18, "MsgPreVoteResp" },
        { MessageType.StorageAppend, 19, "MsgStorageAppend" },
        { MessageType.StorageAppendResponse, 20, "MsgStorageAppendResp" },
        { MessageType.StorageApply, 21, "MsgStorageApply" },
        { MessageType.StorageApplyResponse, 22, "MsgStorageApplyResp" },
        { MessageType.ForgetLeader, 23, "MsgForgetLeader" },
    };

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void MessageTypeKeepsEtcdNumberAndName(MessageType type, int number, string etcd)
    {
        Assert.Equal(number, (int)type);
        Assert.Equal(etcd, Describe.EtcdName(type));
        Assert.True(EtcdTypeText.TryParseMessageType(etcd, out MessageType parsed));
        Assert.Equal(type, parsed);
    }

    [Fact]
    public void EveryMessageTypeIsInTheTable() =>
        Assert.Equal(MessageTypes.Count, Enum.GetValues<MessageType>().Length);

    [Theory]
    [InlineData("Append")]
    [InlineData("msgapp")]
    [InlineData("MsgApp ")]
    [InlineData("")]
    public void OnlyEtcdsExactNamesParse(string text) =>
        Assert.False(EtcdTypeText.TryParseMessageType(text, out _));

    [Theory]
    [InlineData(EntryType.Normal, 0, "EntryNormal")]
    [InlineData(EntryType.ConfChange, 1, "EntryConfChange")]
    [InlineData(EntryType.ConfChangeV2, 2, "EntryConfChangeV2")]
    public void EntryTypeKeepsEtcdNumberAndName(EntryType type, int number, string etcd)
    {
        Assert.Equal(number, (int)type);
        Assert.Equal(etcd, Describe.EtcdName(type));
    }

    [Theory]
    [InlineData(ConfChangeType.AddNode, 0, "ConfChangeAddNode")]
    [InlineData(ConfChangeType.RemoveNode, 1, "ConfChangeRemoveNode")]
    [InlineData(ConfChangeType.UpdateNode, 2, "ConfChangeUpdateNode")]
    [InlineData(ConfChangeType.AddLearnerNode, 3, "ConfChangeAddLearnerNode")]
    public void ConfChangeTypeKeepsEtcdNumberAndName(ConfChangeType type, int number, string etcd)
    {
        Assert.Equal(number, (int)type);
        Assert.Equal(etcd, Describe.EtcdName(type));
    }

    [Theory]
    [InlineData(ConfChangeTransition.Auto, 0, "ConfChangeTransitionAuto")]
    [InlineData(ConfChangeTransition.Implicit, 1, "ConfChangeTransitionJointImplicit")]
    [InlineData(ConfChangeTransition.Explicit, 2, "ConfChangeTransitionJointExplicit")]
    public void TransitionKeepsEtcdNumberAndName(ConfChangeTransition transition, int number, string etcd)
    {
        Assert.Equal(number, (int)transition);
        Assert.Equal(etcd, Describe.EtcdName(transition));
    }

    // Only a hand-built value can be undefined; like Go's generated String(), it prints as its number.
    [Fact]
    public void UndefinedValuesPrintAsTheirNumber()
    {
        Assert.Equal("24", Describe.EtcdName((MessageType)24));
        Assert.Equal("-1", Describe.EtcdName((MessageType)(-1)));
        Assert.Equal("3", Describe.EtcdName((EntryType)3));
        Assert.Equal("4", Describe.EtcdName((ConfChangeType)4));
        Assert.Equal("3", Describe.EtcdName((ConfChangeTransition)3));
    }

    [Fact]
    public void NamingAValueAllocatesNothing()
    {
        _ = Describe.EtcdName(MessageType.Append);
        long before = GC.GetAllocatedBytesForCurrentThread();
        string a = EtcdTypeText.Of(MessageType.AppendResponse);
        string b = EtcdTypeText.Of(EntryType.ConfChangeV2);
        string c = EtcdTypeText.Of(ConfChangeType.AddLearnerNode);
        string d = EtcdTypeText.Of(ConfChangeTransition.Explicit);
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);
        Assert.Equal("MsgAppRespEntryConfChangeV2ConfChangeAddLearnerNodeConfChangeTransitionJointExplicit", a + b + c + d);
    }
}
