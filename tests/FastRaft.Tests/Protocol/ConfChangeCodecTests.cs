using FastRaft.Protocol;

namespace FastRaft.Tests.Protocol;

public class ConfChangeCodecTests
{
    private static ConfChangeV2 V2(string changes, ConfChangeTransition t = ConfChangeTransition.Auto, byte[]? context = null) =>
        new() { Transition = t, Changes = ConfChangeText.Parse(changes), Context = context ?? ReadOnlyMemory<byte>.Empty };

    // ---- hand-checked encodings ----

    [Fact]
    public void V1AsEtcdHarnessBuildsIt()
    {
        // type=AddNode (field 2), node_id=2 (field 3); no id, no context.
        Assert.Equal(new byte[] { 0x10, 0x00, 0x18, 0x02 }, ConfChangeCodec.Encode(new ConfChange(ConfChangeType.AddNode, 2)));
    }

    [Fact]
    public void V1WithEveryField()
    {
        var cc = new ConfChange(ConfChangeType.RemoveNode, 300, "ab"u8.ToArray(), Id: 5);
        Assert.Equal(
            new byte[] { 0x08, 0x05, 0x10, 0x01, 0x18, 0xAC, 0x02, 0x22, 0x02, (byte)'a', (byte)'b' },
            ConfChangeCodec.Encode(cc));
    }

    [Fact]
    public void V2WithTwoChanges()
    {
        Assert.Equal(
            new byte[] { 0x08, 0x00, 0x12, 0x04, 0x08, 0x00, 0x10, 0x02, 0x12, 0x04, 0x08, 0x03, 0x10, 0x03 },
            ConfChangeCodec.Encode(V2("v2 l3")));
    }

    [Fact]
    public void EmptyV2StillWritesTheTransition() =>
        Assert.Equal(new byte[] { 0x08, 0x00 }, ConfChangeCodec.Encode(new ConfChangeV2()));

    [Fact]
    public void V2ExplicitWithContext()
    {
        Assert.Equal(
            new byte[] { 0x08, 0x02, 0x12, 0x04, 0x08, 0x01, 0x10, 0x01, 0x1A, 0x01, 0x7A },
            ConfChangeCodec.Encode(V2("r1", ConfChangeTransition.Explicit, [0x7A])));
    }

    [Fact]
    public void LargeNodeIdUsesTenByteVarint()
    {
        byte[] bytes = ConfChangeCodec.Encode(new ConfChange(ConfChangeType.AddNode, ulong.MaxValue));
        Assert.Equal(new byte[] { 0x10, 0x00, 0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, bytes);
    }

    [Fact]
    public void SizeMatchesEncodingAndEncodeToFillsASpan()
    {
        var v1 = new ConfChange(ConfChangeType.UpdateNode, 1234567, new byte[200], Id: 99);
        var v2 = V2("v1 v2 l3 r4 u5", ConfChangeTransition.Implicit, new byte[130]);
        Assert.Equal(ConfChangeCodec.Encode(v1).Length, ConfChangeCodec.Size(v1));
        Assert.Equal(ConfChangeCodec.Encode(v2).Length, ConfChangeCodec.Size(v2));
        Span<byte> buf = stackalloc byte[512];
        int n = ConfChangeCodec.EncodeTo(v2, buf);
        Assert.Equal(ConfChangeCodec.Encode(v2), buf[..n].ToArray());
    }

    [Fact]
    public void EncodeToRejectsTooSmallDestination() =>
        Assert.Throws<ArgumentException>(() => ConfChangeCodec.EncodeTo(new ConfChange(ConfChangeType.AddNode, 2), new byte[3]));

    // ---- round trips ----

    [Theory]
    [InlineData(ConfChangeType.AddNode, 1UL, 0UL, "")]
    [InlineData(ConfChangeType.RemoveNode, 7UL, 42UL, "ctx")]
    [InlineData(ConfChangeType.UpdateNode, ulong.MaxValue, ulong.MaxValue, "x")]
    [InlineData(ConfChangeType.AddLearnerNode, 0UL, 1UL, "")]
    [InlineData((ConfChangeType)(-1), 3UL, 0UL, "")]
    public void V1RoundTrips(ConfChangeType type, ulong node, ulong id, string context)
    {
        var cc = new ConfChange(type, node, System.Text.Encoding.UTF8.GetBytes(context), id);
        Assert.True(ConfChangeCodec.TryDecodeV1(ConfChangeCodec.Encode(cc), out ConfChange back, out string? error));
        Assert.Null(error);
        Assert.Equal(cc, back);
        Assert.Equal(cc, ConfChangeCodec.DecodeV1(ConfChangeCodec.Encode(cc)));
    }

    [Theory]
    [InlineData("", ConfChangeTransition.Auto)]
    [InlineData("v2", ConfChangeTransition.Auto)]
    [InlineData("r1 v4", ConfChangeTransition.Implicit)]
    [InlineData("l2 l3 u9 v18446744073709551615", ConfChangeTransition.Explicit)]
    public void V2RoundTrips(string changes, ConfChangeTransition transition)
    {
        var cc = V2(changes, transition, "ctx"u8.ToArray());
        Assert.True(ConfChangeCodec.TryDecodeV2(ConfChangeCodec.Encode(cc), out ConfChangeV2? back, out string? error));
        Assert.Null(error);
        Assert.Equal(cc.Transition, back.Transition);
        Assert.Equal(cc.Changes, back.Changes);
        Assert.Equal(cc.Context.ToArray(), back.Context.ToArray());
        Assert.Equal(cc.Changes, ConfChangeCodec.DecodeV2(ConfChangeCodec.Encode(cc)).Changes);
    }

    [Fact]
    public void DecodedContextIsACopy()
    {
        byte[] data = ConfChangeCodec.Encode(new ConfChange(ConfChangeType.AddNode, 1, "abc"u8.ToArray()));
        Assert.True(ConfChangeCodec.TryDecodeV1(data, out ConfChange cc, out _));
        data[^1] = (byte)'z';
        Assert.Equal("abc"u8.ToArray(), cc.Context.ToArray());
    }

    // ---- decoding inputs other encoders produce ----

    [Fact]
    public void EmptyInputIsTheZeroChange()
    {
        Assert.True(ConfChangeCodec.TryDecodeV1([], out ConfChange v1, out _));
        Assert.Equal(new ConfChange(ConfChangeType.AddNode, 0), v1);
        Assert.True(ConfChangeCodec.TryDecodeV2([], out ConfChangeV2? v2, out _));
        Assert.True(v2.LeaveJoint);
        Assert.Empty(v2.Changes);
    }

    [Fact]
    public void DecodesOlderGogoEncodingThatAlwaysWritesId()
    {
        // gogoproto with non-nullable fields: id=0, type=RemoveNode, node_id=3.
        Assert.True(ConfChangeCodec.TryDecodeV1([0x08, 0x00, 0x10, 0x01, 0x18, 0x03], out ConfChange cc, out _));
        Assert.Equal(new ConfChange(ConfChangeType.RemoveNode, 3), cc);
    }

    [Fact]
    public void FieldsInAnyOrderAndLastValueWins()
    {
        Assert.True(ConfChangeCodec.TryDecodeV1([0x18, 0x03, 0x10, 0x01, 0x18, 0x05], out ConfChange cc, out _));
        Assert.Equal(new ConfChange(ConfChangeType.RemoveNode, 5), cc);
    }

    [Fact]
    public void UnknownFieldsOfEveryWireTypeAreSkipped()
    {
        byte[] data =
        [
            0x38, 0x96, 0x01,                                   // field 7 varint
            0x10, 0x03,                                         // type = AddLearnerNode
            0x49, 1, 2, 3, 4, 5, 6, 7, 8,                       // field 9 fixed64
            0x55, 1, 2, 3, 4,                                   // field 10 fixed32
            0x5A, 0x02, 0xFF, 0xFE,                             // field 11 bytes
            0x63, 0x08, 0x01, 0x6B, 0x6C, 0x64,                 // field 12 group holding a varint and an empty group
            0x18, 0x09,                                         // node_id = 9
        ];
        Assert.True(ConfChangeCodec.TryDecodeV1(data, out ConfChange cc, out string? error), error);
        Assert.Equal(new ConfChange(ConfChangeType.AddLearnerNode, 9), cc);
    }

    [Fact]
    public void UnknownFieldsInsideAChangeAreSkipped()
    {
        byte[] data = [0x12, 0x06, 0x08, 0x01, 0x18, 0x07, 0x10, 0x04];
        Assert.True(ConfChangeCodec.TryDecodeV2(data, out ConfChangeV2? cc, out _));
        Assert.Equal([new ConfChangeSingle(ConfChangeType.RemoveNode, 4)], cc.Changes);
    }

    // ---- malformed input ----

    [Theory]
    [InlineData(new byte[] { 0x10 }, "unexpected EOF")]
    [InlineData(new byte[] { 0x18, 0x80 }, "unexpected EOF")]
    [InlineData(new byte[] { 0x22, 0x05, 0x61 }, "unexpected EOF")]
    [InlineData(new byte[] { 0x22 }, "unexpected EOF")]
    [InlineData(new byte[] { 0x80 }, "unexpected EOF")]
    [InlineData(new byte[] { 0x00 }, "proto: ConfChange: illegal tag 0 (wire type 0)")]
    [InlineData(new byte[] { 0x02, 0x00 }, "proto: ConfChange: illegal tag 0 (wire type 2)")]
    [InlineData(new byte[] { 0x0C }, "proto: ConfChange: wiretype end group for non-group")]
    [InlineData(new byte[] { 0x12, 0x00 }, "proto: wrong wireType = 2 for field Type")]
    [InlineData(new byte[] { 0x0D, 0, 0, 0, 0 }, "proto: wrong wireType = 5 for field ID")]
    [InlineData(new byte[] { 0x1A, 0x00 }, "proto: wrong wireType = 2 for field NodeID")]
    [InlineData(new byte[] { 0x20, 0x00 }, "proto: wrong wireType = 0 for field Context")]
    [InlineData(new byte[] { 0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, "proto: integer overflow")]
    [InlineData(new byte[] { 0x22, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, "proto: negative length found during unmarshaling")]
    [InlineData(new byte[] { 0x3E }, "proto: illegal wireType 6")]
    [InlineData(new byte[] { 0x49, 1, 2, 3 }, "unexpected EOF")]
    [InlineData(new byte[] { 0x63, 0x08, 0x01 }, "unexpected EOF")]
    [InlineData(new byte[] { 0x5A, 0x7F, 0x00 }, "unexpected EOF")]
    public void MalformedV1IsRejectedWithGogoText(byte[] data, string expected)
    {
        Assert.False(ConfChangeCodec.TryDecodeV1(data, out _, out string? error));
        Assert.Equal(expected, error);
        Assert.False(ConfChangeCodec.TryDecodeV1(data, out _));
        Assert.Equal(expected, Assert.Throws<FormatException>(() => ConfChangeCodec.DecodeV1(data)).Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x12, 0x04, 0x08 }, "unexpected EOF")]
    [InlineData(new byte[] { 0x12, 0x01, 0x00 }, "proto: ConfChangeSingle: illegal tag 0 (wire type 0)")]
    [InlineData(new byte[] { 0x12, 0x02, 0x0A, 0x00 }, "proto: wrong wireType = 2 for field Type")]
    [InlineData(new byte[] { 0x12, 0x02, 0x15, 0x00 }, "proto: wrong wireType = 5 for field NodeID")]
    [InlineData(new byte[] { 0x12, 0x01, 0x08 }, "unexpected EOF")]
    [InlineData(new byte[] { 0x10, 0x01 }, "proto: wrong wireType = 0 for field Changes")]
    [InlineData(new byte[] { 0x0A, 0x00 }, "proto: wrong wireType = 2 for field Transition")]
    [InlineData(new byte[] { 0x18, 0x00 }, "proto: wrong wireType = 0 for field Context")]
    [InlineData(new byte[] { 0x04 }, "proto: ConfChangeV2: wiretype end group for non-group")]
    [InlineData(new byte[] { 0x1A, 0x03, 0x01 }, "unexpected EOF")]
    public void MalformedV2IsRejectedWithGogoText(byte[] data, string expected)
    {
        Assert.False(ConfChangeCodec.TryDecodeV2(data, out ConfChangeV2? cc, out string? error));
        Assert.Null(cc);
        Assert.Equal(expected, error);
        Assert.False(ConfChangeCodec.TryDecodeV2(data, out _));
        Assert.Equal(expected, Assert.Throws<FormatException>(() => ConfChangeCodec.DecodeV2(data)).Message);
    }

    [Fact]
    public void EveryTruncationOfAValidEncodingFailsCleanly()
    {
        byte[] full = ConfChangeCodec.Encode(V2("v1 l2 r3", ConfChangeTransition.Explicit, "context"u8.ToArray()));
        int accepted = 0;
        for (int len = 0; len < full.Length; len++)
        {
            // A cut on a field boundary is a valid shorter message; any other cut must fail.
            if (ConfChangeCodec.TryDecodeV2(full.AsSpan(0, len), out _, out string? error))
            {
                accepted++;
            }
            else
            {
                Assert.Equal("unexpected EOF", error);
            }
        }
        Assert.Equal(5, accepted); // lengths 0, 2, 8, 14 and 20: before each field
    }

    [Fact]
    public void RandomGarbageNeverThrows()
    {
        var rng = new Random(12345);
        var buf = new byte[24];
        for (int i = 0; i < 20000; i++)
        {
            int len = rng.Next(buf.Length + 1);
            rng.NextBytes(buf);
            ReadOnlySpan<byte> data = buf.AsSpan(0, len);
            bool ok1 = ConfChangeCodec.TryDecodeV1(data, out _, out string? e1);
            bool ok2 = ConfChangeCodec.TryDecodeV2(data, out ConfChangeV2? cc2, out string? e2);
            Assert.Equal(ok1, e1 is null);
            Assert.Equal(ok2, e2 is null);
            Assert.Equal(ok2, cc2 is not null);
        }
    }
}
