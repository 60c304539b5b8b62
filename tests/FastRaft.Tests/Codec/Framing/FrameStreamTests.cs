using System.Buffers;
using System.IO.Pipelines;
using FastRaft.Codec;
using FastRaft.Codec.Framing;
using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Tests.Codec.Framing;

public class FrameStreamTests
{
    private static Message Heartbeat(ulong commit) => new(MessageType.Heartbeat, 1, 2, 3) { Commit = commit };

    [Fact]
    public async Task Batches_of_frames_flushed_together_arrive_in_order_across_a_pipe()
    {
        var pipe = new Pipe(new PipeOptions(minimumSegmentSize: 256, useSynchronizationContext: false));
        var writer = new FrameStreamWriter(pipe.Writer);
        var reader = new FrameStreamReader(pipe.Reader);
        const int Count = 5_000;
        Task producer = Task.Run(async () =>
        {
            for (int i = 0; i < Count; i++)
            {
                while (!writer.TryWrite(i % 7 == 0 ? CodecFixtures.App(1 + (i % 5), 40) : Heartbeat((ulong)i)))
                {
                    await writer.WaitUntilResumedAsync();
                }
                if (i % 50 == 49)
                {
                    writer.Flush();
                }
            }
            writer.Flush();
            await writer.WaitUntilResumedAsync();
            await pipe.Writer.CompleteAsync();
        });

        var entries = new EntryBuffer();
        var decoder = new FramePayloadDecoder();
        int received = 0;
        while (await reader.ReadAsync())
        {
            while (reader.TryReadFrame(out ReadOnlySequence<byte> payload) == FrameStatus.Complete)
            {
                entries.Clear();
                Assert.True(decoder.TryDecode(payload, entries, out Message m, out WireError error), error.Text);
                if (received % 7 == 0)
                {
                    Assert.Equal(MessageType.Append, m.Type);
                    Assert.Equal(1 + (received % 5), m.Entries.Length);
                }
                else
                {
                    Assert.Equal((ulong)received, m.Commit);
                }
                received++;
            }
            reader.AdvanceToNext();
        }
        await producer;
        Assert.Equal(Count, received);
        Assert.Equal(0, reader.BufferedBytes);
    }

    [Fact]
    public async Task A_peer_that_stops_reading_pauses_the_writer_instead_of_growing_its_buffer()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 2048, resumeWriterThreshold: 1024, useSynchronizationContext: false));
        var writer = new FrameStreamWriter(pipe.Writer);
        int accepted = 0;
        for (int i = 0; i < 1_000; i++)
        {
            if (writer.TryWrite(CodecFixtures.App(1, 100)))
            {
                accepted++;
            }
            writer.Flush();
        }
        Assert.True(writer.IsPaused);
        Assert.InRange(accepted, 1, 100);

        // The peer drains; the held flush completes and frames are accepted again.
        var reader = new FrameStreamReader(pipe.Reader);
        int read = 0;
        while (read < accepted)
        {
            Assert.True(await reader.ReadAsync());
            while (reader.TryReadFrame(out _) == FrameStatus.Complete)
            {
                read++;
            }
            reader.AdvanceToNext();
        }
        await writer.WaitUntilResumedAsync();
        Assert.False(writer.IsPaused);
        Assert.True(writer.TryWrite(Heartbeat(1)));
    }

    [Fact]
    public async Task A_closed_reader_closes_the_writer()
    {
        var pipe = new Pipe(new PipeOptions(useSynchronizationContext: false));
        var writer = new FrameStreamWriter(pipe.Writer);
        await pipe.Reader.CompleteAsync();
        Assert.True(writer.TryWrite(Heartbeat(1)));
        writer.Flush();
        Assert.True(writer.IsClosed);
        Assert.False(writer.TryWrite(Heartbeat(2)));
    }

    [Fact]
    public async Task A_stream_cut_inside_a_frame_ends_with_the_partial_frame_reported()
    {
        var pipe = new Pipe(new PipeOptions(useSynchronizationContext: false));
        var w = new ArrayBufferWriter<byte>();
        FrameWriter.WriteFrame(w, CodecFixtures.App(2));
        await pipe.Writer.WriteAsync(w.WrittenMemory[..^3]);
        await pipe.Writer.CompleteAsync();
        var reader = new FrameStreamReader(pipe.Reader);
        Assert.True(await reader.ReadAsync());
        Assert.Equal(FrameStatus.Incomplete, reader.TryReadFrame(out _));
        Assert.True(reader.IsCompleted);
        Assert.Equal(w.WrittenCount - 3, reader.BufferedBytes);
        Assert.Throws<InvalidOperationException>(() => reader.TryRead());
        reader.AdvanceToNext();
        // Nothing more will come: the next read ends the loop instead of handing out the cut frame again.
        Assert.False(await reader.ReadAsync());
        Assert.Equal(w.WrittenCount - 3, reader.BufferedBytes);
    }

    [Fact]
    public void Writing_flushing_and_reading_frames_over_a_pipe_allocates_nothing()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
        var writer = new FrameStreamWriter(pipe.Writer);
        var reader = new FrameStreamReader(pipe.Reader);
        var entries = new EntryBuffer(64);
        var decoder = new FramePayloadDecoder();
        Message app = CodecFixtures.App(1, 16);
        Message hb = Heartbeat(5);

        void Round()
        {
            for (int i = 0; i < 8; i++)
            {
                writer.TryWrite(i % 2 == 0 ? app : hb);
            }
            writer.Flush();
            int n = 0;
            while (n < 8)
            {
                if (!reader.TryRead())
                {
                    throw new InvalidOperationException("flushed frames were not readable");
                }
                while (reader.TryReadFrame(out ReadOnlySequence<byte> payload) == FrameStatus.Complete)
                {
                    entries.Clear();
                    if (!decoder.TryDecode(payload, entries, out _, out _))
                    {
                        throw new InvalidOperationException("a frame did not decode");
                    }
                    n++;
                }
                reader.AdvanceToNext();
            }
        }

        for (int i = 0; i < 200; i++)
        {
            Round();
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5_000; i++)
        {
            Round();
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
