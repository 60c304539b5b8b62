using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using FastRaft.Codec.Framing;
using FastRaft.Sample.Gateway;
using FastRaft.Sample.Protocol;

namespace FastRaft.Tests.Sample;

/// <summary>
/// The gateway's per-connection parsing (frames, then requests) fed random and mutated byte
/// streams in random pieces through real pipes: no exception escapes, every stream ends the way a
/// reference reading of the same bytes says (all requests handed over and answered, or closed for
/// the first bad thing in it, counted under that reason), whatever the chunking.
/// </summary>
public class GatewayConnectionFuzzTests
{
    private const int Cases = 12_000;
    private const int MaxFrame = 1024;

    private enum Item
    {
        ValidRequest,
        MutatedRequest,
        Garbage,
        OversizeHeader,
        Noise,
    }

    [Fact]
    public async Task Twelve_thousand_random_and_mutated_streams_end_as_the_reference_reading_says_and_each_refusal_is_counted()
    {
        var random = new Random(20_261_203);
        var forge = new ClientRequestForge(1203);
        var expectedByReason = new Dictionary<GatewayRefusal, int>();
        var countedByReason = new Dictionary<GatewayRefusal, long>();
        int clean = 0;
        for (int i = 0; i < Cases; i++)
        {
            byte[] stream = Stream(random, forge);
            (GatewayRefusal expected, int requests) = Reference(stream);
            var host = new RecordingGatewayHost(new ClientGatewayOptions { MaxFrameBytes = MaxFrame, MaxInFlightPerConnection = 1 + random.Next(4) })
            {
                AnswerLater = random.Next(2) == 0,
            };
            (GatewayRefusal outcome, int replies) = await RunAsync(host, stream, random).WaitAsync(TimeSpan.FromSeconds(10));

            Assert.True(expected == outcome, $"case {i}: {outcome}, the reference says {expected}; stream {Convert.ToHexString(stream)}");
            Assert.Equal(requests, host.Handled);
            Assert.Equal(1, host.Closes);
            if (expected == GatewayRefusal.None)
            {
                clean++;
                Assert.Equal(requests, replies);
                Assert.Equal(0, host.Counters.RefusedConnections);
            }
            else
            {
                Assert.Equal(1, host.Counters.RefusedConnections);
                Assert.Equal(1, host.Counters.Refused(expected));
                Assert.InRange(replies, 0, requests);
            }
            Assert.Equal(0, host.Counters.ParseFaults);
            expectedByReason[expected] = expectedByReason.GetValueOrDefault(expected) + 1;
            foreach (GatewayRefusal reason in Enum.GetValues<GatewayRefusal>())
            {
                countedByReason[reason] = countedByReason.GetValueOrDefault(reason) + host.Counters.Refused(reason);
            }
        }
        // Every kind of ending came up, and each bad stream was counted once under its reason.
        foreach (GatewayRefusal reason in new[] { GatewayRefusal.Garbage, GatewayRefusal.OversizeFrame, GatewayRefusal.CutFrame, GatewayRefusal.MalformedRequest })
        {
            Assert.True(expectedByReason.GetValueOrDefault(reason) > Cases / 50, $"{reason}: {expectedByReason.GetValueOrDefault(reason)} cases");
            Assert.Equal(expectedByReason[reason], countedByReason[reason]);
        }
        Assert.True(clean > Cases / 10, $"{clean} clean streams");
    }

    /// <summary>Feeds <paramref name="stream"/> in random pieces, ends it, and runs the connection to its close.</summary>
    private static async Task<(GatewayRefusal Outcome, int Replies)> RunAsync(RecordingGatewayHost host, byte[] stream, Random random)
    {
        var input = new Pipe();
        var output = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var connection = new GatewayConnection(host, (input.Reader, output.Writer), null, 1);
        Task running = connection.RunAsync();
        int offset = 0;
        while (offset < stream.Length)
        {
            int n = Math.Min(stream.Length - offset, 1 + random.Next(random.Next(2) == 0 ? 8 : 200));
            await input.Writer.WriteAsync(stream.AsMemory(offset, n));
            offset += n;
        }
        await input.Writer.CompleteAsync();
        await running;
        return (host.LastClose, await CountFramesAsync(output.Reader));
    }

    private static async Task<int> CountFramesAsync(PipeReader reader)
    {
        int frames = 0;
        while (true)
        {
            ReadResult read = await reader.ReadAsync();
            ReadOnlySequence<byte> buffer = read.Buffer;
            while (FrameReader.TryReadFrame(ref buffer, ClientProtocol.MaxMessageSize, out _) == FrameStatus.Complete)
            {
                frames++;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted)
            {
                return frames;
            }
        }
    }

    /// <summary>What a careful reading of the whole stream says: the requests before the first bad thing, and that thing.</summary>
    private static (GatewayRefusal Outcome, int Requests) Reference(byte[] stream)
    {
        int offset = 0;
        int requests = 0;
        while (offset < stream.Length)
        {
            if (stream[offset] != FrameFormat.Marker)
            {
                return (GatewayRefusal.Garbage, requests);
            }
            if (stream.Length - offset < FrameFormat.HeaderSize)
            {
                return (GatewayRefusal.CutFrame, requests);
            }
            uint length = BinaryPrimitives.ReadUInt32BigEndian(stream.AsSpan(offset + 1));
            if (length > MaxFrame)
            {
                return (GatewayRefusal.OversizeFrame, requests);
            }
            if (stream.Length - offset - FrameFormat.HeaderSize < length)
            {
                return (GatewayRefusal.CutFrame, requests);
            }
            byte[] payload = stream.AsSpan(offset + FrameFormat.HeaderSize, (int)length).ToArray();
            if (!ClientProtocol.TryReadRequest(payload, out _))
            {
                return (GatewayRefusal.MalformedRequest, requests);
            }
            requests++;
            offset += FrameFormat.HeaderSize + (int)length;
        }
        return (GatewayRefusal.None, requests);
    }

    /// <summary>A stream of a few items: mostly framed requests (valid or mutated), sometimes garbage, an oversize header, noise, or a cut.</summary>
    private static byte[] Stream(Random random, ClientRequestForge forge)
    {
        var stream = new ArrayBufferWriter<byte>(256);
        int items = random.Next(0, 8);
        for (int i = 0; i < items; i++)
        {
            var item = (Item)Math.Min(random.Next(12), (int)Item.Noise);
            switch (item)
            {
                case Item.ValidRequest:
                    FrameWriter.WriteFrame(stream, forge.ValidRequest());
                    break;
                case Item.MutatedRequest:
                    FrameWriter.WriteFrame(stream, forge.Mutate(forge.ValidRequest()));
                    break;
                case Item.Garbage:
                    byte[] garbage = new byte[random.Next(1, 40)];
                    random.NextBytes(garbage);
                    garbage[0] = garbage[0] == FrameFormat.Marker ? (byte)0x00 : garbage[0];
                    stream.Write(garbage);
                    break;
                case Item.OversizeHeader:
                    byte[] header = new byte[FrameFormat.HeaderSize];
                    header[0] = FrameFormat.Marker;
                    BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), (uint)random.NextInt64(MaxFrame + 1, uint.MaxValue + 1L));
                    stream.Write(header);
                    break;
                default:
                    byte[] noise = new byte[random.Next(1, 12)];
                    random.NextBytes(noise);
                    stream.Write(noise);
                    break;
            }
        }
        byte[] whole = stream.WrittenSpan.ToArray();
        // Sometimes cut anywhere (often inside a frame).
        return random.Next(5) == 0 && whole.Length > 0 ? whole[..random.Next(whole.Length)] : whole;
    }
}
