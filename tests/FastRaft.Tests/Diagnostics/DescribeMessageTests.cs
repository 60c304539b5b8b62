using System.Text;
using FastRaft.Diagnostics;
using FastRaft.Protocol;

namespace FastRaft.Tests.Diagnostics;

// Expected strings are copied from the etcd interaction scripts with the harness's two-space
// indentation removed.
public class DescribeMessageTests
{
    private static Message Msg(MessageType type, ulong from, ulong to, ulong term) => new(type, from, to, term);

    private static Entry Normal(ulong term, ulong index, string data = "") =>
        new(term, index, EntryType.Normal, Encoding.UTF8.GetBytes(data));

    [Fact]
    public void BareMessage() =>
        Assert.Equal("1->2 MsgVote Term:1 Log:1/10", Describe.Message(Msg(MessageType.Vote, 1, 2, 1) with { LogTerm = 1, Index = 10 }));

    [Fact]
    public void AppendWithCommitAndOneEntry()
    {
        var m = Msg(MessageType.Append, 1, 2, 1) with { LogTerm = 1, Index = 10, Commit = 10, Entries = new[] { Normal(1, 11) } };
        Assert.Equal("1->2 MsgApp Term:1 Log:1/10 Commit:10 Entries:[1/11 EntryNormal \"\"]", Describe.Message(m));
    }

    [Fact]
    public void RejectionShowsTheHint()
    {
        var m = Msg(MessageType.AppendResponse, 2, 1, 1) with { LogTerm = 0, Index = 3, Reject = true, RejectHint = 0 };
        Assert.Equal("2->1 MsgAppResp Term:1 Log:0/3 Rejected (Hint: 0)", Describe.Message(m));
        var m2 = Msg(MessageType.AppendResponse, 7, 1, 8) with { LogTerm = 3, Index = 20, Reject = true, RejectHint = 20 };
        Assert.Equal("7->1 MsgAppResp Term:8 Log:3/20 Rejected (Hint: 20)", Describe.Message(m2));
    }

    [Fact]
    public void SeveralEntriesGoOnIndentedLines()
    {
        var m = Msg(MessageType.Append, 1, 2, 8) with
        {
            LogTerm = 6, Index = 19, Commit = 18, Entries = new[] { Normal(6, 20, "prop_6_20"), Normal(8, 21) },
        };
        Assert.Equal(
            "1->2 MsgApp Term:8 Log:6/19 Commit:18 Entries:[\n  6/20 EntryNormal \"prop_6_20\"\n  8/21 EntryNormal \"\"\n]",
            Describe.Message(m));
    }

    [Fact]
    public void SnapshotGoesOnItsOwnIndentedLine()
    {
        var snap = new Snapshot(ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(new ConfState { Voters = [1, 2] }, 4, 1));
        var m = Msg(MessageType.Snapshot, 1, 2, 1) with { Snapshot = snap };
        Assert.Equal(
            "1->2 MsgSnap Term:1 Log:0/0\n  Snapshot: Index:4 Term:1 ConfState:Voters:[1 2] VotersOutgoing:[] Learners:[] LearnersNext:[] AutoLeave:false",
            Describe.Message(m));
    }

    [Fact]
    public void EmptySnapshotIsNotShown()
    {
        var m = Msg(MessageType.Append, 1, 2, 1) with { Snapshot = Snapshot.Empty };
        Assert.Equal("1->2 MsgApp Term:1 Log:0/0", Describe.Message(m));
    }

    [Fact]
    public void StorageAppendWithVoteAndNestedResponse()
    {
        var m = Msg(MessageType.StorageAppend, 1, LocalIds.LocalAppendThread, 1) with
        {
            Commit = 10, Vote = 1, Responses = new[] { Msg(MessageType.VoteResponse, 1, 1, 1) },
        };
        Assert.Equal(
            "1->AppendThread MsgStorageAppend Term:1 Log:0/0 Commit:10 Vote:1 Responses:[\n  1->1 MsgVoteResp Term:1 Log:0/0\n]",
            Describe.Message(m));
    }

    [Fact]
    public void StorageAppendWithEntriesAndTwoResponses()
    {
        var m = Msg(MessageType.StorageAppend, 1, LocalIds.LocalAppendThread, 0) with
        {
            Entries = new[] { Normal(1, 11) },
            Responses = new[]
            {
                Msg(MessageType.AppendResponse, 1, 1, 1) with { Index = 11 },
                Msg(MessageType.StorageAppendResponse, LocalIds.LocalAppendThread, 1, 1) with { LogTerm = 1, Index = 11 },
            },
        };
        Assert.Equal(
            "1->AppendThread MsgStorageAppend Term:0 Log:0/0 Entries:[1/11 EntryNormal \"\"] Responses:[\n"
            + "  1->1 MsgAppResp Term:1 Log:0/11\n"
            + "  AppendThread->1 MsgStorageAppendResp Term:1 Log:1/11\n"
            + "]",
            Describe.Message(m));
    }

    [Fact]
    public void StorageApplyResponseCarriesEntries()
    {
        var m = Msg(MessageType.StorageApply, 1, LocalIds.LocalApplyThread, 0) with
        {
            Entries = new[] { Normal(1, 11) },
            Responses = new[] { Msg(MessageType.StorageApplyResponse, LocalIds.LocalApplyThread, 1, 0) with { Entries = new[] { Normal(1, 11) } } },
        };
        Assert.Equal(
            "1->ApplyThread MsgStorageApply Term:0 Log:0/0 Entries:[1/11 EntryNormal \"\"] Responses:[\n"
            + "  ApplyThread->1 MsgStorageApplyResp Term:0 Log:0/0 Entries:[1/11 EntryNormal \"\"]\n"
            + "]",
            Describe.Message(m));
    }

    [Fact]
    public void NestedMultiEntryResponsesAreIndentedPerLevel()
    {
        // Not in the scripts; follows etcd's rule that every nesting level adds two spaces.
        var inner = Msg(MessageType.Append, 1, 2, 1) with { Entries = new[] { Normal(1, 1), Normal(1, 2) } };
        var m = Msg(MessageType.StorageAppend, 1, LocalIds.LocalAppendThread, 1) with { Responses = new[] { inner } };
        Assert.Equal(
            "1->AppendThread MsgStorageAppend Term:1 Log:0/0 Responses:[\n"
            + "  1->2 MsgApp Term:1 Log:0/0 Entries:[\n"
            + "    1/1 EntryNormal \"\"\n"
            + "    1/2 EntryNormal \"\"\n"
            + "  ]\n"
            + "]",
            Describe.Message(m));
    }

    [Fact]
    public void ConfChangeEntryInsideAMessage()
    {
        var data = ConfChangeCodec.Encode(new ConfChangeV2 { Changes = ConfChangeText.Parse("r1 v4") });
        var m = Msg(MessageType.Append, 1, 2, 1) with
        {
            LogTerm = 1, Index = 3, Commit = 3, Entries = new[] { new Entry(1, 4, EntryType.ConfChangeV2, data) },
        };
        Assert.Equal("1->2 MsgApp Term:1 Log:1/3 Commit:3 Entries:[1/4 EntryConfChangeV2 r1 v4]", Describe.Message(m));
    }
}
