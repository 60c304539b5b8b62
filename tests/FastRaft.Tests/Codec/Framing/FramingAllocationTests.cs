using System.Buffers;
using FastRaft.Codec.Framing;
using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Tests.Codec.Framing;

/// <summary>Writing and reading frames allocates nothing once the buffers are warm (one-entry appends, heartbeats).</summary>
public class FramingAllocationTests
{
    private static void WriteAndReadBack(ArrayBufferWriter<byte> output, FramePayloadDecoder decoder, EntryBuffer entries, Message[] messages)
    {
        output.ResetWrittenCount();
        foreach (Message m in messages)
        {
            FrameWriter.WriteFrame(output, m);
        }
        var buffer = new ReadOnlySequence<byte>(output.WrittenMemory);
        while (FrameReader.TryReadFrame(ref buffer, FrameFormat.DefaultMaxPayloadBytes, out ReadOnlySequence<byte> payload) == FrameStatus.Complete)
        {
            entries.Clear();
            if (!decoder.TryDecode(payload, entries, out _, out _))
            {
                throw new InvalidOperationException("a frame written here did not decode");
            }
        }
    }

    [Fact]
    public void Steady_state_framing_allocates_nothing()
    {
        Message[] messages =
        [
            CodecFixtures.App(1, 16),
            CodecFixtures.App(16, 16),
            new Message(MessageType.Heartbeat, 2, 1, 7) { Commit = 10 },
            new Message(MessageType.AppendResponse, 1, 2, 7) { Index = 100 },
        ];
        var output = new ArrayBufferWriter<byte>(64 * 1024);
        var decoder = new FramePayloadDecoder();
        var entries = new EntryBuffer(64);
        for (int i = 0; i < 100; i++)
        {
            WriteAndReadBack(output, decoder, entries, messages);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            WriteAndReadBack(output, decoder, entries, messages);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
