using System.Buffers;
using FastRaft.Sample.Matching;
using MessagePack;

namespace FastRaft.Tests.Sample;

public class CommandCodecTests
{
    public static TheoryData<OrderCommand> Commands => new()
    {
        OrderCommand.Limit(1, 1, 1, Side.Buy, 100, 10),
        OrderCommand.Limit(ulong.MaxValue, ulong.MaxValue, int.MaxValue, Side.Sell, long.MaxValue, long.MaxValue),
        OrderCommand.Limit(5, 6, 2, Side.Sell, -7, long.MinValue),
        OrderCommand.Market(3, 4, 1, Side.Sell, 5),
        OrderCommand.Cancel(3, 9, 2, ulong.MaxValue),
        OrderCommand.Cancel(3, 9, -4, 0),
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Commands_round_trip_and_fit_the_bound(OrderCommand command)
    {
        byte[] bytes = CommandCodec.Encode(command);
        Assert.InRange(bytes.Length, 1, CommandCodec.MaxEncodedSize);
        Assert.True(CommandCodec.TryDecode(bytes, out OrderCommand decoded));
        Assert.Equal(command, decoded);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_truncation_and_any_trailing_byte_is_refused(OrderCommand command)
    {
        byte[] bytes = CommandCodec.Encode(command);
        for (int n = 0; n < bytes.Length; n++)
        {
            Assert.False(CommandCodec.TryDecode(bytes.AsMemory(0, n), out _), $"prefix of {n} bytes");
        }
        Assert.False(CommandCodec.TryDecode((byte[])[.. bytes, 0], out _));
    }

    [Fact]
    public void Wrong_shapes_are_refused()
    {
        Assert.False(CommandCodec.TryDecode(Pack((ref w) => w.Write("order")), out _));
        Assert.False(CommandCodec.TryDecode(Pack((ref w) => w.WriteMapHeader(0)), out _));
        // A cancel needs 5 fields, a place 8.
        Assert.False(CommandCodec.TryDecode(Pack((ref w) => { w.WriteArrayHeader(8); w.Write(2); w.Write(1); w.Write(1); w.Write(1); w.Write(1); w.Write(1); w.Write(1); w.Write(1); }), out _));
        Assert.False(CommandCodec.TryDecode(Pack((ref w) => { w.WriteArrayHeader(5); w.Write(1); w.Write(1); w.Write(1); w.Write(1); w.Write(1); }), out _));
        // Strings or floats where integers belong; a negative client id.
        Assert.False(CommandCodec.TryDecode(Pack((ref w) => { w.WriteArrayHeader(5); w.Write(2); w.Write("x"); w.Write(1); w.Write(1); w.Write(1); }), out _));
        Assert.False(CommandCodec.TryDecode(Pack((ref w) => { w.WriteArrayHeader(5); w.Write(2); w.Write(1); w.Write(1.5); w.Write(1); w.Write(1); }), out _));
        Assert.False(CommandCodec.TryDecode(Pack((ref w) => { w.WriteArrayHeader(5); w.Write(2); w.Write(-1); w.Write(1); w.Write(1); w.Write(1); }), out _));
    }

    [Fact]
    public void Out_of_range_fields_decode_to_values_the_engine_rejects()
    {
        // Instrument beyond int, side and type beyond a byte, price beyond long.
        byte[] bytes = Pack((ref w) =>
        {
            w.WriteArrayHeader(8);
            w.Write(1); w.Write(1); w.Write(1); w.Write(long.MaxValue); w.Write(300); w.Write(1); w.Write(ulong.MaxValue); w.Write(1);
        });
        Assert.True(CommandCodec.TryDecode(bytes, out OrderCommand c));
        Assert.Equal((-1, (Side)0, long.MaxValue), (c.Instrument, c.Side, c.Price));
        Assert.Equal(RejectReason.UnknownInstrument, new MatchingEngine(MatchingEngineTests.Instruments).Apply(bytes).Reason);
    }

    [Fact]
    public void Random_bytes_never_throw_and_mostly_are_not_commands()
    {
        var random = new Random(1234);
        var engine = new MatchingEngine(MatchingEngineTests.Instruments);
        var buffer = new byte[64];
        int decoded = 0;
        for (int i = 0; i < 20_000; i++)
        {
            int n = random.Next(buffer.Length + 1);
            random.NextBytes(buffer.AsSpan(0, n));
            if (i % 2 == 0 && n > 0)
            {
                // Start like a command often, so the fuzzing gets past the first byte.
                buffer[0] = (byte)(0x90 | random.Next(4, 10));
            }
            if (CommandCodec.TryDecode(buffer.AsMemory(0, n), out _))
            {
                decoded++;
            }
            engine.Apply(buffer.AsMemory(0, n));
        }
        Assert.True(decoded < 2000, $"{decoded} random inputs decoded");
        Assert.Equal(20_000, engine.Statistics.Commands);
    }

    [Fact]
    public void Garbage_is_rejected_as_malformed()
    {
        var engine = new MatchingEngine(MatchingEngineTests.Instruments);
        Assert.Equal(CommandResult.Rejected(RejectReason.Malformed), engine.Apply(new byte[] { 0xc1 }));
        Assert.Equal(CommandResult.Rejected(RejectReason.Malformed), engine.Apply("hello"u8.ToArray()));
        Assert.Equal(CommandResult.Rejected(RejectReason.Malformed), engine.Apply(ReadOnlyMemory<byte>.Empty));
        // A huge declared array length with nothing behind it.
        Assert.Equal(CommandResult.Rejected(RejectReason.Malformed), engine.Apply(new byte[] { 0xdd, 0x7f, 0xff, 0xff, 0xff }));
        Assert.Equal(4, engine.Statistics.Rejected);
    }

    [Fact]
    public void Results_round_trip_and_garbage_is_refused()
    {
        var result = new CommandResult(ResultCode.Accepted, RejectReason.None, ulong.MaxValue, 5, 6, 7, 8, true);
        var buffer = new ArrayBufferWriter<byte>();
        ResultCodec.Encode(result, buffer);
        Assert.InRange(buffer.WrittenCount, 1, ResultCodec.MaxEncodedSize);
        Assert.True(ResultCodec.TryDecode(buffer.WrittenMemory, out CommandResult back));
        Assert.Equal(result, back);
        for (int n = 0; n < buffer.WrittenCount; n++)
        {
            Assert.False(ResultCodec.TryDecode(buffer.WrittenMemory[..n], out _));
        }
        Assert.False(ResultCodec.TryDecode(new byte[] { 0x98, 1, 0xff, 0, 0, 0, 0, 0, 0xc2 }, out _));
    }

    internal delegate void PackAction(ref MessagePackWriter writer);

    internal static byte[] Pack(PackAction write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        write(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
