using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using FastRaft.Codec;
using FastRaft.Codec.Framing;
using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Tests.Codec.Framing;

public class FrameReaderTests
{
    private static byte[] Encode(in Message m)
    {
        var w = new ArrayBufferWriter<byte>();
        RaftMessageCodec.Write(w, in m);
        return w.WrittenSpan.ToArray();
    }

    private static (byte[] Stream, List<byte[]> Payloads) FramedStream(Random rng, int count)
    {
        var w = new ArrayBufferWriter<byte>();
        var payloads = new List<byte[]>();
        for (int i = 0; i < count; i++)
        {
            Message m = CodecFixtures.RandomMessage(rng);
            long size = FrameWriter.WriteFrame(w, m);
            payloads.Add(Encode(m));
            Assert.Equal(FrameFormat.HeaderSize + payloads[^1].Length, size);
        }
        return (w.WrittenSpan.ToArray(), payloads);
    }

    [Fact]
    public void Frames_cut_at_any_segment_boundaries_come_back_whole_and_decode_to_the_same_messages()
    {
        var rng = new Random(11);
        var decoder = new FramePayloadDecoder();
        var entries = new EntryBuffer();
        int copied = 0;
        for (int round = 0; round < 300; round++)
        {
            (byte[] stream, List<byte[]> payloads) = FramedStream(rng, 1 + rng.Next(6));
            ReadOnlySequence<byte> buffer = SegmentedSequence.Cut(stream, SegmentedSequence.RandomCuts(rng, stream.Length, 12));
            foreach (byte[] expected in payloads)
            {
                Assert.Equal(FrameStatus.Complete, FrameReader.TryReadFrame(ref buffer, FrameFormat.DefaultMaxPayloadBytes, out ReadOnlySequence<byte> payload));
                Assert.Equal(expected, payload.ToArray());
                entries.Clear();
                Assert.True(decoder.TryDecode(payload, entries, out Message m, out WireError error), error.Text);
                Assert.Equal(expected, Encode(m));
                copied += decoder.LastCopied ? 1 : 0;
            }
            Assert.True(buffer.IsEmpty);
            Assert.Equal(FrameStatus.Incomplete, FrameReader.TryReadFrame(ref buffer, FrameFormat.DefaultMaxPayloadBytes, out _));
        }
        Assert.True(copied > 0, "some payloads should have been split across segments");
    }

    [Fact]
    public void Every_prefix_of_a_frame_is_incomplete_and_leaves_the_buffer_alone()
    {
        var w = new ArrayBufferWriter<byte>();
        FrameWriter.WriteFrame(w, CodecFixtures.App(3));
        byte[] frame = w.WrittenSpan.ToArray();
        for (int n = 0; n < frame.Length; n++)
        {
            var buffer = new ReadOnlySequence<byte>(frame, 0, n);
            Assert.Equal(FrameStatus.Incomplete, FrameReader.TryReadFrame(ref buffer, FrameFormat.DefaultMaxPayloadBytes, out _));
            Assert.Equal(n, buffer.Length);
        }
    }

    [Fact]
    public void A_header_announcing_more_than_the_bound_is_refused_before_the_payload_arrives()
    {
        byte[] header = new byte[FrameFormat.HeaderSize];
        header[0] = FrameFormat.Marker;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(FrameFormat.LengthOffset), 1025);
        var buffer = new ReadOnlySequence<byte>(header);
        Assert.Equal(FrameStatus.TooLarge, FrameReader.TryReadFrame(ref buffer, 1024, out _));
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(FrameFormat.LengthOffset), uint.MaxValue);
        buffer = new ReadOnlySequence<byte>(header);
        Assert.Equal(FrameStatus.TooLarge, FrameReader.TryReadFrame(ref buffer, int.MaxValue, out _));
        // Split header: the length is read across segments.
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(FrameFormat.LengthOffset), 5000);
        buffer = SegmentedSequence.Cut(header, [1, 3]);
        Assert.Equal(FrameStatus.TooLarge, FrameReader.TryReadFrame(ref buffer, 4096, out _));
    }

    [Fact]
    public void Garbage_is_refused_at_its_first_byte()
    {
        var buffer = new ReadOnlySequence<byte>("GET / HTTP/1.1\r\n"u8.ToArray());
        Assert.Equal(FrameStatus.BadMarker, FrameReader.TryReadFrame(ref buffer, FrameFormat.DefaultMaxPayloadBytes, out _));
    }

    [Fact]
    public void A_frame_whose_payload_is_not_one_message_is_refused_by_the_decoder()
    {
        var w = new ArrayBufferWriter<byte>();
        byte[] two = [.. Encode(CodecFixtures.App(1)), .. Encode(CodecFixtures.App(1))];
        FrameWriter.WriteFrame(w, two);
        FrameWriter.WriteFrame(w, [0xc1, 0x00]);
        var buffer = new ReadOnlySequence<byte>(w.WrittenMemory);
        var decoder = new FramePayloadDecoder();
        var entries = new EntryBuffer();
        Assert.Equal(FrameStatus.Complete, FrameReader.TryReadFrame(ref buffer, FrameFormat.DefaultMaxPayloadBytes, out ReadOnlySequence<byte> p));
        Assert.False(decoder.TryDecode(p, entries, out _, out WireError error));
        Assert.Contains("trailing", error.Text, StringComparison.Ordinal);
        Assert.Equal(0, entries.Count);
        Assert.Equal(FrameStatus.Complete, FrameReader.TryReadFrame(ref buffer, FrameFormat.DefaultMaxPayloadBytes, out p));
        Assert.False(decoder.TryDecode(p, entries, out _, out error));
        Assert.True(error.IsError);
    }

    [Fact]
    public async Task A_pipe_reader_loop_waits_on_partial_frames_and_reads_every_frame_once()
    {
        var rng = new Random(5);
        (byte[] stream, List<byte[]> payloads) = FramedStream(rng, 200);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4096, resumeWriterThreshold: 2048, minimumSegmentSize: 512, useSynchronizationContext: false));

        Task writer = Task.Run(async () =>
        {
            int at = 0;
            while (at < stream.Length)
            {
                int n = Math.Min(1 + rng.Next(300), stream.Length - at);
                await pipe.Writer.WriteAsync(stream.AsMemory(at, n));
                at += n;
            }
            await pipe.Writer.CompleteAsync();
        });

        var received = new List<byte[]>();
        while (true)
        {
            ReadResult result = await pipe.Reader.ReadAsync();
            ReadOnlySequence<byte> buffer = result.Buffer;
            FrameStatus status;
            while ((status = FrameReader.TryReadFrame(ref buffer, FrameFormat.DefaultMaxPayloadBytes, out ReadOnlySequence<byte> payload)) == FrameStatus.Complete)
            {
                received.Add(payload.ToArray());
            }
            Assert.Equal(FrameStatus.Incomplete, status);
            pipe.Reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                Assert.True(buffer.IsEmpty, "the stream ended inside a frame");
                break;
            }
        }
        await pipe.Reader.CompleteAsync();
        await writer;
        Assert.Equal(payloads.Count, received.Count);
        for (int i = 0; i < payloads.Count; i++)
        {
            Assert.Equal(payloads[i], received[i]);
        }
    }

    [Fact]
    public void Fuzz_random_and_mutated_streams_cut_at_random_boundaries_never_throw_and_never_over_read()
    {
        var rng = new Random(20261203);
        var decoder = new FramePayloadDecoder();
        var entries = new EntryBuffer();
        (byte[] valid, List<byte[]> validPayloads) = FramedStream(rng, 64);
        var frameStarts = new List<int> { 0 };
        foreach (byte[] p in validPayloads)
        {
            frameStarts.Add(frameStarts[^1] + FrameFormat.HeaderSize + p.Length);
        }
        frameStarts.RemoveAt(frameStarts.Count - 1);
        const int MaxPayload = 16 * 1024;
        int complete = 0, refused = 0;
        for (int i = 0; i < 100_000; i++)
        {
            byte[] stream;
            if (i % 2 == 0)
            {
                stream = new byte[rng.Next(64)];
                rng.NextBytes(stream);
                if (stream.Length > 0 && rng.Next(2) == 0)
                {
                    stream[0] = FrameFormat.Marker;
                }
            }
            else
            {
                // A run of real frames from a frame boundary (or anywhere), cut short, bits flipped.
                int start = rng.Next(4) == 0 ? rng.Next(valid.Length) : frameStarts[rng.Next(frameStarts.Count)];
                stream = valid.AsSpan(start, Math.Min(valid.Length - start, 1 + rng.Next(4000))).ToArray();
                for (int k = rng.Next(4); k > 0 && stream.Length > 0; k--)
                {
                    stream[rng.Next(stream.Length)] ^= (byte)(1 << rng.Next(8));
                }
                if (rng.Next(3) == 0 && stream.Length > 0)
                {
                    stream[0] = FrameFormat.Marker;
                }
            }
            ReadOnlySequence<byte> buffer = SegmentedSequence.Cut(stream, SegmentedSequence.RandomCuts(rng, stream.Length, 6));
            long before = buffer.Length;
            FrameStatus status;
            while ((status = FrameReader.TryReadFrame(ref buffer, MaxPayload, out ReadOnlySequence<byte> payload)) == FrameStatus.Complete)
            {
                complete++;
                Assert.True(payload.Length <= MaxPayload);
                entries.Clear();
                if (!decoder.TryDecode(payload, entries, out _, out WireError error))
                {
                    Assert.False(string.IsNullOrEmpty(error.Text));
                    refused++;
                }
            }
            Assert.True(buffer.Length <= before);
            Assert.NotEqual(FrameStatus.Complete, status);
        }
        Assert.True(complete > 1000, $"{complete} frames read");
        Assert.True(refused > 0);
    }
}
