using System.Text;
using FastRaft.Diagnostics;
using FastRaft.Protocol;

namespace FastRaft.Tests.Diagnostics;

public class DescribeEntryTests
{
    private static Entry Normal(ulong term, ulong index, string data) =>
        new(term, index, EntryType.Normal, Encoding.UTF8.GetBytes(data));

    private static Entry V2(ulong term, ulong index, string changes, ConfChangeTransition transition = ConfChangeTransition.Auto) =>
        new(term, index, EntryType.ConfChangeV2,
            ConfChangeCodec.Encode(new ConfChangeV2 { Transition = transition, Changes = ConfChangeText.Parse(changes) }));

    [Fact]
    public void EmptyNormalEntryShowsEmptyQuotes() =>
        Assert.Equal("1/11 EntryNormal \"\"", Describe.Entry(new Entry(1, 11)));

    [Fact]
    public void NormalEntryQuotesItsData() =>
        Assert.Equal("6/20 EntryNormal \"prop_6_20\"", Describe.Entry(Normal(6, 20, "prop_6_20")));

    [Fact]
    public void NormalEntryDataIsGoQuoted() =>
        Assert.Equal("1/2 EntryNormal \"a\\x00\\n\"", Describe.Entry(new Entry(1, 2, EntryType.Normal, new byte[] { (byte)'a', 0, (byte)'\n' })));

    [Fact]
    public void FormatterReplacesQuoting()
    {
        EntryFormatter f = data => $"<{data.Length} bytes>";
        Assert.Equal("1/2 EntryNormal <3 bytes>", Describe.Entry(Normal(1, 2, "abc"), f));
    }

    [Fact]
    public void FormatterReturningEmptyLeavesNoTrailingSpace()
    {
        EntryFormatter f = _ => "";
        Assert.Equal("1/2 EntryNormal", Describe.Entry(Normal(1, 2, "abc"), f));
    }

    [Fact]
    public void ConfChangeV2EntryShowsItsChanges()
    {
        Assert.Equal("1/4 EntryConfChangeV2 r1 v4", Describe.Entry(V2(1, 4, "r1 v4")));
        Assert.Equal("1/5 EntryConfChangeV2 l2 l3", Describe.Entry(V2(1, 5, "l2 l3", ConfChangeTransition.Explicit)));
    }

    [Fact]
    public void LeaveJointEntryHasNothingAfterTheType()
    {
        // etcd proposes leave-joint with nil data; an explicitly encoded empty V2 looks the same.
        Assert.Equal("1/5 EntryConfChangeV2", Describe.Entry(new Entry(1, 5, EntryType.ConfChangeV2, ReadOnlyMemory<byte>.Empty)));
        Assert.Equal("1/5 EntryConfChangeV2", Describe.Entry(V2(1, 5, "")));
    }

    [Fact]
    public void ConfChangeV1EntryShowsItsSingleChange()
    {
        var data = ConfChangeCodec.Encode(new ConfChange(ConfChangeType.RemoveNode, 1));
        Assert.Equal("1/3 EntryConfChange r1", Describe.Entry(new Entry(1, 3, EntryType.ConfChange, data)));
        var add = ConfChangeCodec.Encode(new ConfChange(ConfChangeType.AddNode, 2, Id: 7));
        Assert.Equal("1/3 EntryConfChange v2", Describe.Entry(new Entry(1, 3, EntryType.ConfChange, add)));
    }

    [Fact]
    public void UndecodableConfChangeShowsTheDecoderError()
    {
        Assert.Equal(
            "1/3 EntryConfChange proto: ConfChange: illegal tag 0 (wire type 0)",
            Describe.Entry(new Entry(1, 3, EntryType.ConfChange, new byte[] { 0x00 })));
        Assert.Equal(
            "1/3 EntryConfChangeV2 unexpected EOF",
            Describe.Entry(new Entry(1, 3, EntryType.ConfChangeV2, new byte[] { 0x12, 0x04, 0x08 })));
    }

    [Fact]
    public void FormatterIsNotUsedForConfChanges()
    {
        EntryFormatter f = _ => "custom";
        Assert.Equal("1/4 EntryConfChangeV2 r1 v4", Describe.Entry(V2(1, 4, "r1 v4"), f));
    }

    [Fact]
    public void UnknownEntryTypeShowsItsNumber() =>
        Assert.Equal("1/2 7", Describe.Entry(new Entry(1, 2, (EntryType)7, new byte[] { 1 })));

    [Fact]
    public void EntriesOnePerLineEachEndingInNewline()
    {
        Entry[] ents = [Normal(4, 15, "prop_4_15"), new Entry(5, 16), V2(5, 17, "v3")];
        Assert.Equal(
            "4/15 EntryNormal \"prop_4_15\"\n5/16 EntryNormal \"\"\n5/17 EntryConfChangeV2 v3\n",
            Describe.Entries(ents));
        Assert.Equal("", Describe.Entries([]));
    }
}
