using FastRaft.Core;
using FastRaft.Diagnostics;
using FastRaft.Protocol;

namespace FastRaft.Tests.Diagnostics;

// Expected strings are copied from the etcd interaction scripts with the harness's two-space
// indentation removed.
public class DescribeReadyTests
{
    private static Message Msg(MessageType type, ulong from, ulong to, ulong term) => new(type, from, to, term);

    [Fact]
    public void EmptyReady() => Assert.Equal("<empty Ready>", Describe.Ready(new Ready()));

    [Fact]
    public void EmptyReadyIgnoresMustSync() => Assert.Equal("<empty Ready>", Describe.Ready(new Ready { MustSync = true }));

    [Fact]
    public void LeaderReadyWithEntriesAndMessages()
    {
        var entry = new Entry(1, 11);
        var rd = new Ready
        {
            MustSync = true,
            SoftState = new SoftState(1, NodeRole.Leader),
            Entries = new[] { entry },
            Messages = new[]
            {
                Msg(MessageType.Append, 1, 2, 1) with { LogTerm = 1, Index = 10, Commit = 10, Entries = new[] { entry } },
                Msg(MessageType.Append, 1, 3, 1) with { LogTerm = 1, Index = 10, Commit = 10, Entries = new[] { entry } },
                Msg(MessageType.StorageAppend, 1, LocalIds.LocalAppendThread, 0) with
                {
                    Entries = new[] { entry },
                    Responses = new[]
                    {
                        Msg(MessageType.AppendResponse, 1, 1, 1) with { Index = 11 },
                        Msg(MessageType.StorageAppendResponse, LocalIds.LocalAppendThread, 1, 1) with { LogTerm = 1, Index = 11 },
                    },
                },
            },
        };
        Assert.Equal(
            """
            Ready MustSync=true:
            Lead:1 State:StateLeader
            Entries:
            1/11 EntryNormal ""
            Messages:
            1->2 MsgApp Term:1 Log:1/10 Commit:10 Entries:[1/11 EntryNormal ""]
            1->3 MsgApp Term:1 Log:1/10 Commit:10 Entries:[1/11 EntryNormal ""]
            1->AppendThread MsgStorageAppend Term:0 Log:0/0 Entries:[1/11 EntryNormal ""] Responses:[
              1->1 MsgAppResp Term:1 Log:0/11
              AppendThread->1 MsgStorageAppendResp Term:1 Log:1/11
            ]

            """.ReplaceLineEndings("\n"),
            Describe.Ready(rd));
    }

    [Fact]
    public void FollowerReadyWithHardStateAndRejection()
    {
        var rd = new Ready
        {
            MustSync = true,
            SoftState = new SoftState(1, NodeRole.Follower),
            HardState = new HardState(1, 0, 0),
            Messages = new[] { Msg(MessageType.AppendResponse, 4, 1, 1) with { Index = 3, Reject = true } },
        };
        // HardState{Term:1} alone is not empty.
        Assert.Equal(
            "Ready MustSync=true:\nLead:1 State:StateFollower\nHardState Term:1 Commit:0\nMessages:\n4->1 MsgAppResp Term:1 Log:0/3 Rejected (Hint: 0)\n",
            Describe.Ready(rd));
    }

    [Fact]
    public void ReadyWithCommittedConfChange()
    {
        var data = ConfChangeCodec.Encode(new ConfChangeV2 { Changes = ConfChangeText.Parse("r1 v4") });
        var rd = new Ready
        {
            HardState = new HardState(1, 1, 4),
            CommittedEntries = new[] { new Entry(1, 4, EntryType.ConfChangeV2, data) },
            Messages = new[]
            {
                Msg(MessageType.Append, 1, 2, 1) with { LogTerm = 1, Index = 4, Commit = 4 },
                Msg(MessageType.Append, 1, 3, 1) with { LogTerm = 1, Index = 4, Commit = 4 },
            },
        };
        Assert.Equal(
            """
            Ready MustSync=false:
            HardState Term:1 Vote:1 Commit:4
            CommittedEntries:
            1/4 EntryConfChangeV2 r1 v4
            Messages:
            1->2 MsgApp Term:1 Log:1/4 Commit:4
            1->3 MsgApp Term:1 Log:1/4 Commit:4

            """.ReplaceLineEndings("\n"),
            Describe.Ready(rd));
    }

    [Fact]
    public void ReadyWithSnapshot()
    {
        var snap = new Snapshot(ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(new ConfState { Voters = [1, 2, 3], VotersOutgoing = [1], AutoLeave = true }, 4, 1));
        var rd = new Ready
        {
            HardState = new HardState(1, 0, 4),
            Snapshot = snap,
            Messages = new[] { Msg(MessageType.AppendResponse, 2, 1, 1) with { Index = 4 } },
        };
        Assert.Equal(
            """
            Ready MustSync=false:
            HardState Term:1 Commit:4
            Snapshot Index:4 Term:1 ConfState:Voters:[1 2 3] VotersOutgoing:[1] Learners:[] LearnersNext:[] AutoLeave:true
            Messages:
            2->1 MsgAppResp Term:1 Log:0/4

            """.ReplaceLineEndings("\n"),
            Describe.Ready(rd));
    }

    [Fact]
    public void EmptySnapshotIsLeftOut()
    {
        var rd = new Ready { HardState = new HardState(2, 0, 0), Snapshot = Snapshot.Empty };
        Assert.Equal("Ready MustSync=false:\nHardState Term:2 Commit:0\n", Describe.Ready(rd));
    }

    [Fact]
    public void SectionsComeInEtcdOrder()
    {
        var rd = new Ready
        {
            MustSync = true,
            SoftState = new SoftState(0, NodeRole.Candidate),
            HardState = new HardState(2, 1, 3),
            ReadStates = new[] { new ReadState(3, "a"u8.ToArray()) },
            Entries = new[] { new Entry(2, 4) },
            Snapshot = new Snapshot(ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(new ConfState { Voters = [1] }, 2, 1)),
            CommittedEntries = new[] { new Entry(1, 3) },
            Messages = new[] { Msg(MessageType.Vote, 1, 2, 2) with { LogTerm = 2, Index = 4 } },
        };
        Assert.Equal(
            """
            Ready MustSync=true:
            Lead:0 State:StateCandidate
            HardState Term:2 Vote:1 Commit:3
            ReadStates [{3 [97]}]
            Entries:
            2/4 EntryNormal ""
            Snapshot Index:2 Term:1 ConfState:Voters:[1] VotersOutgoing:[] Learners:[] LearnersNext:[] AutoLeave:false
            CommittedEntries:
            1/3 EntryNormal ""
            Messages:
            1->2 MsgVote Term:2 Log:2/4

            """.ReplaceLineEndings("\n"),
            Describe.Ready(rd));
    }

    [Fact]
    public void FormatterAppliesToEveryEntry()
    {
        EntryFormatter f = d => $"len={d.Length}";
        var e = new Entry(1, 2, EntryType.Normal, new byte[] { 1, 2 });
        var rd = new Ready
        {
            Entries = new[] { e },
            CommittedEntries = new[] { e },
            Messages = new[] { Msg(MessageType.Append, 1, 2, 1) with { Entries = new[] { e } } },
        };
        Assert.Equal(
            "Ready MustSync=false:\nEntries:\n1/2 EntryNormal len=2\nCommittedEntries:\n1/2 EntryNormal len=2\nMessages:\n1->2 MsgApp Term:1 Log:0/0 Entries:[1/2 EntryNormal len=2]\n",
            Describe.Ready(rd, f));
    }
}
