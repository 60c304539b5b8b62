using System.Buffers;
using System.Runtime.InteropServices;
using FastRaft.Codec;
using FastRaft.Core;
using FastRaft.Protocol;
using MessagePack;
using static FastRaft.Tests.Codec.CodecFixtures;

namespace FastRaft.Tests.Codec;

public class RaftMessageCodecRoundTripTests
{
    private static Message Decode(byte[] bytes, EntryBuffer entries)
    {
        int offset = 0;
        Assert.True(RaftMessageCodec.TryRead(bytes, ref offset, entries, out Message m, out WireError error), error.Text);
        Assert.False(error.IsError);
        Assert.Equal(bytes.Length, offset);
        return m;
    }

    [Fact]
    public void Heartbeat_encodes_to_the_documented_bytes()
    {
        var m = new Message(MessageType.Heartbeat, from: 1, to: 2, term: 300) { Commit = 5, Context = new byte[] { 0xAB } };
        byte[] expected =
        [
            0x9E, // fixarray of 14
            0x01, // version 1
            0x08, // MsgHeartbeat
            0x02, // to
            0x01, // from
            0xCD, 0x01, 0x2C, // term 300 as uint16
            0x00, 0x00, // log_term, index
            0x05, // commit
            0x00, // vote
            0xC2, // reject = false
            0x00, // reject_hint
            0xC4, 0x01, 0xAB, // context: bin8 of one byte
            0x90, // no entries
            0xC0, // no snapshot
        ];
        Assert.Equal(expected, Encode(m));
        Assert.Equal(expected.Length, RaftMessageCodec.EncodedSize(m));
    }

    [Fact]
    public void A_message_of_a_group_encodes_as_version_2_with_the_group_id_after_the_version()
    {
        var m = new Message(MessageType.Heartbeat, from: 1, to: 2, term: 300) { Commit = 5, Context = new byte[] { 0xAB }, GroupId = 7 };
        byte[] expected =
        [
            0x9F, // fixarray of 15
            0x02, // version 2
            0x07, // group id 7
            0x08, 0x02, 0x01, 0xCD, 0x01, 0x2C, 0x00, 0x00, 0x05, 0x00, 0xC2, 0x00, 0xC4, 0x01, 0xAB, 0x90, 0xC0, // as in version 1
        ];
        Assert.Equal(expected, Encode(m));
        Assert.Equal(expected.Length, RaftMessageCodec.EncodedSize(m));
        Message decoded = Decode(expected, new EntryBuffer());
        AssertSameMessage(m, decoded);

        // Group ids at every integer width survive, and group 0 stays version 1.
        foreach (ulong group in new ulong[] { 0, 1, 0x7F, 0x80, 0xFFFF, 0x1_0000, uint.MaxValue, ulong.MaxValue })
        {
            m.GroupId = group;
            byte[] bytes = Encode(m);
            Assert.Equal(group == 0 ? 0x9E : 0x9F, bytes[0]);
            Assert.Equal(bytes.Length, RaftMessageCodec.EncodedSize(m));
            Assert.Equal(group, Decode(bytes, new EntryBuffer()).GroupId);
        }
    }

    [Fact]
    public void A_snapshot_refusal_travels_between_nodes_as_the_one_node_local_type_that_does()
    {
        var m = new Message(MessageType.SnapshotStatus, from: 2, to: 1, term: 7) { Index = 120, Reject = true };
        Assert.True(RaftMessageCodec.IsWireType(MessageType.SnapshotStatus));
        Assert.True(Message.IsLocalMsg(MessageType.SnapshotStatus));
        AssertSameMessage(m, Decode(Encode(m), new EntryBuffer()));
        Assert.False(RaftMessageCodec.IsWireType(MessageType.Unreachable));
    }

    [Fact]
    public void Append_with_an_entry_and_snapshot_encode_to_the_documented_bytes()
    {
        var m = new Message(MessageType.Snapshot, from: 1, to: 2, term: 3)
        {
            Entries = new[] { new Entry(3, 4, EntryType.ConfChangeV2, new byte[] { 9 }) },
            Snapshot = new Snapshot(new byte[] { 7, 7 }, new SnapshotMetadata(new ConfState { Voters = [1, 2], LearnersNext = [3], AutoLeave = true }, 10, 2)),
        };
        byte[] expected =
        [
            0x9E, 0x01, 0x07, 0x02, 0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0xC2, 0x00,
            0xC4, 0x00, // empty context
            0x91, 0x94, 0x03, 0x04, 0x02, 0xC4, 0x01, 0x09, // one entry [term 3, index 4, type 2, data 09]
            0x94, 0x0A, 0x02, // snapshot [index 10, term 2, ...
            0x95, 0x92, 0x01, 0x02, 0x90, 0x90, 0x91, 0x03, 0xC3, // conf_state [[1,2], [], [], [3], true]
            0xC4, 0x02, 0x07, 0x07, // data]
        ];
        Assert.Equal(expected, Encode(m));
        Assert.Equal(expected.Length, RaftMessageCodec.EncodedSize(m));
    }

    [Fact]
    public void Every_network_message_type_with_random_fields_round_trips()
    {
        var rng = new Random(20240611);
        var entries = new EntryBuffer();
        var output = new ArrayBufferWriter<byte>();
        int withSnapshot = 0, withEntries = 0;
        for (int i = 0; i < 4000; i++)
        {
            Message m = RandomMessage(rng);
            if (i < CodecFixtures.NetworkTypes.Length)
            {
                m.Type = CodecFixtures.NetworkTypes[i]; // every type at least once
            }
            output.ResetWrittenCount();
            RaftMessageCodec.Write(output, m);
            Assert.Equal(output.WrittenCount, RaftMessageCodec.EncodedSize(m));

            entries.Clear();
            Message decoded = Decode(output.WrittenSpan.ToArray(), entries);
            AssertSameMessage(m, decoded);
            withSnapshot += m.Snapshot is null ? 0 : 1;
            withEntries += m.Entries.IsEmpty ? 0 : 1;
        }
        Assert.InRange(withSnapshot, 500, 3500);
        Assert.InRange(withEntries, 500, 3500);
    }

    /// <summary>The format written value by value with MessagePack's own writer: the reference encoding.</summary>
    private static byte[] ReferenceEncode(in Message m)
    {
        var output = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(output);
        if (m.GroupId == 0)
        {
            w.WriteArrayHeader(14);
            w.Write(1UL);
        }
        else
        {
            w.WriteArrayHeader(15);
            w.Write(2UL);
            w.Write(m.GroupId);
        }
        w.Write((ulong)m.Type);
        foreach (ulong v in new[] { m.To, m.From, m.Term, m.LogTerm, m.Index, m.Commit, m.Vote })
        {
            w.Write(v);
        }
        w.Write(m.Reject);
        w.Write(m.RejectHint);
        w.Write(m.Context.Span);
        w.WriteArrayHeader(m.Entries.Length);
        foreach (Entry e in m.Entries.Span)
        {
            w.WriteArrayHeader(4);
            w.Write(e.Term);
            w.Write(e.Index);
            w.Write((ulong)e.Type);
            w.Write(e.Data.Span);
        }
        if (m.Snapshot is null)
        {
            w.WriteNil();
        }
        else
        {
            w.WriteArrayHeader(4);
            w.Write(m.Snapshot.Metadata.Index);
            w.Write(m.Snapshot.Metadata.Term);
            ConfState cs = m.Snapshot.Metadata.ConfState;
            w.WriteArrayHeader(5);
            foreach (ulong[] ids in new[] { cs.Voters, cs.Learners, cs.VotersOutgoing, cs.LearnersNext })
            {
                w.WriteArrayHeader(ids.Length);
                foreach (ulong id in ids)
                {
                    w.Write(id);
                }
            }
            w.Write(cs.AutoLeave);
            w.Write(m.Snapshot.Data.Span);
        }
        w.Flush();
        return output.WrittenSpan.ToArray();
    }

    [Fact]
    public void Encoding_is_byte_for_byte_what_MessagePacks_own_writer_produces_value_by_value()
    {
        var rng = new Random(77);
        for (int i = 0; i < 2000; i++)
        {
            Message m = RandomMessage(rng);
            Assert.Equal(ReferenceEncode(m), Encode(m));
        }
    }

    [Fact]
    public void Encoding_into_small_segments_matches_encoding_into_one_buffer()
    {
        // A writer that hands out the smallest spans it may: large payloads cross segment edges.
        var rng = new Random(78);
        for (int i = 0; i < 300; i++)
        {
            Message m = RandomMessage(rng);
            var segmented = new SmallSegmentWriter();
            RaftMessageCodec.Write(segmented, m);
            Assert.Equal(Encode(m), segmented.ToArray());
        }
    }

    /// <summary>An IBufferWriter whose spans are exactly as long as asked (or 8 bytes when asked for any).</summary>
    private sealed class SmallSegmentWriter : IBufferWriter<byte>
    {
        private readonly List<byte[]> _segments = [];
        private byte[] _current = [];

        public void Advance(int count) => _segments.Add(_current[..count]);

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            _current = new byte[sizeHint <= 0 ? 8 : sizeHint];
            return _current;
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public byte[] ToArray()
        {
            var all = new List<byte>();
            foreach (byte[] s in _segments)
            {
                all.AddRange(s);
            }
            return [.. all];
        }
    }

    [Fact]
    public void Write_through_a_caller_owned_MessagePackWriter_matches_the_buffer_writer_overload()
    {
        var rng = new Random(5);
        for (int i = 0; i < 200; i++)
        {
            Message m = RandomMessage(rng);
            var output = new ArrayBufferWriter<byte>();
            var writer = new MessagePackWriter(output);
            writer.Write(42); // something before: the codec writes where the writer stands
            RaftMessageCodec.Write(ref writer, m);
            writer.Flush();
            Assert.Equal(0x2A, output.WrittenSpan[0]);
            Assert.Equal(Encode(m), output.WrittenSpan[1..].ToArray());
        }
    }

    [Fact]
    public void An_old_spec_writer_is_refused_since_it_cannot_write_binary()
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentException>(() =>
        {
            var writer = new MessagePackWriter(output) { OldSpec = true };
            RaftMessageCodec.Write(ref writer, Heartbeat());
            writer.Flush();
        });
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void Messages_back_to_back_in_one_buffer_decode_in_order_into_one_entry_buffer()
    {
        var rng = new Random(99);
        var messages = new Message[50];
        var output = new ArrayBufferWriter<byte>();
        for (int i = 0; i < messages.Length; i++)
        {
            messages[i] = RandomMessage(rng);
            RaftMessageCodec.Write(output, messages[i]);
        }
        ReadOnlyMemory<byte> buffer = output.WrittenMemory;
        var entries = new EntryBuffer(1); // grows while reading: earlier views must stay valid
        var decoded = new Message[messages.Length];
        int offset = 0;
        for (int i = 0; i < messages.Length; i++)
        {
            int before = offset;
            Assert.True(RaftMessageCodec.TryRead(buffer, ref offset, entries, out decoded[i], out WireError error), error.Text);
            Assert.Equal(RaftMessageCodec.EncodedSize(messages[i]), offset - before);
        }
        Assert.Equal(buffer.Length, offset);
        for (int i = 0; i < messages.Length; i++)
        {
            AssertSameMessage(messages[i], decoded[i]);
        }
    }

    [Fact]
    public void Payloads_and_context_are_slices_of_the_input_and_snapshot_data_is_a_copy()
    {
        var m = App(3, 10);
        m.Context = new byte[] { 5, 6 };
        m.Snapshot = new Snapshot(new byte[] { 1, 2, 3 }, SnapshotMetadata.Empty);
        byte[] bytes = Encode(m);
        Message d = Decode(bytes, new EntryBuffer());

        Assert.True(MemoryMarshal.TryGetArray(d.Context, out ArraySegment<byte> ctx));
        Assert.Same(bytes, ctx.Array);
        foreach (Entry e in d.Entries.Span)
        {
            Assert.True(MemoryMarshal.TryGetArray(e.Data, out ArraySegment<byte> seg));
            Assert.Same(bytes, seg.Array);
        }
        Assert.True(MemoryMarshal.TryGetArray(d.Snapshot!.Data, out ArraySegment<byte> snap));
        Assert.NotSame(bytes, snap.Array);

        // The snapshot outlives the datagram; the slices do not.
        bytes.AsSpan().Clear();
        Assert.Equal(new byte[] { 1, 2, 3 }, d.Snapshot.Data.ToArray());
        Assert.Equal(new byte[] { 0, 0 }, d.Context.ToArray());
    }

    [Fact]
    public void Decoded_entries_are_appended_after_what_the_buffer_already_holds()
    {
        var entries = new EntryBuffer();
        entries.Add(new Entry(1, 1));
        Message d = Decode(Encode(App(2)), entries);
        Assert.Equal(3, entries.Count);
        Assert.Equal(new Entry(1, 1), entries[0]);
        Assert.Equal(100UL, d.Entries.Span[0].Index);
        Assert.Equal(101UL, d.Entries.Span[1].Index);
    }

    [Fact]
    public void Message_without_entries_decodes_with_empty_views_and_leaves_the_entry_buffer_alone()
    {
        var entries = new EntryBuffer();
        Message d = Decode(Encode(Vote()), entries);
        Assert.Equal(0, entries.Count);
        Assert.True(d.Entries.IsEmpty);
        Assert.True(d.Context.IsEmpty);
        Assert.Null(d.Snapshot);
    }

    [Fact]
    public void MessagePack_reads_the_encoding_as_plain_MessagePack()
    {
        Message m = App(2, 3);
        m.Snapshot = new Snapshot(new byte[] { 1 }, new SnapshotMetadata(new ConfState { Voters = [1, 2, 3] }, 5, 6));
        byte[] bytes = Encode(m);

        var reader = new MessagePackReader(bytes);
        Assert.Equal(14, reader.ReadArrayHeader());
        Assert.Equal(1UL, reader.ReadUInt64());
        Assert.Equal((int)MessageType.Append, reader.ReadInt32());
        for (int i = 0; i < 7; i++)
        {
            reader.ReadUInt64(); // to … vote
        }
        Assert.False(reader.ReadBoolean());
        reader.ReadUInt64(); // reject_hint
        Assert.Equal(0, reader.ReadBytes()!.Value.Length);
        Assert.Equal(2, reader.ReadArrayHeader());
        reader.Skip();
        Assert.Equal(4, reader.ReadArrayHeader());
        Assert.Equal(7UL, reader.ReadUInt64());
        Assert.Equal(101UL, reader.ReadUInt64());
        Assert.Equal(0, reader.ReadInt32());
        Assert.Equal(new byte[] { 1, 1, 1 }, reader.ReadBytes()!.Value.ToArray());
        Assert.Equal(4, reader.ReadArrayHeader());
        reader.Skip();
        reader.Skip();
        Assert.Equal(5, reader.ReadArrayHeader());
        Assert.Equal(3, reader.ReadArrayHeader());
        reader.Skip();
        reader.Skip();
        reader.Skip();
        reader.Skip();
        reader.Skip();
        reader.Skip();
        reader.Skip();
        Assert.Equal(new byte[] { 1 }, reader.ReadBytes()!.Value.ToArray());
        Assert.True(reader.End);
    }

    [Fact]
    public void Decoder_accepts_any_valid_MessagePack_integer_and_length_width()
    {
        // The same heartbeat as Heartbeat_encodes_to_the_documented_bytes, written with the
        // widest formats (and signed ones for non-negative values), as another encoder might.
        var output = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(output);
        w.WriteArrayHeader(14);
        w.WriteUInt64(1);
        w.WriteInt8(8);
        w.WriteUInt32(2);
        w.WriteInt64(1);
        w.WriteUInt16(300);
        w.WriteInt16(0);
        w.WriteInt32(0);
        w.WriteUInt8(5);
        w.WriteUInt64(0);
        w.Write(false);
        w.WriteInt64(0);
        w.Flush();
        // context as bin32, entries as array32, then nil
        output.Write<byte>([0xC6, 0, 0, 0, 1, 0xAB, 0xDD, 0, 0, 0, 0, 0xC0]);

        Message d = Decode(output.WrittenSpan.ToArray(), new EntryBuffer());
        AssertSameMessage(new Message(MessageType.Heartbeat, 1, 2, 300) { Commit = 5, Context = new byte[] { 0xAB } }, d);
    }

    [Fact]
    public void Writing_a_node_local_message_or_one_with_responses_is_rejected_before_writing()
    {
        var output = new ArrayBufferWriter<byte>();
        foreach (MessageType t in Enum.GetValues<MessageType>())
        {
            if (RaftMessageCodec.IsWireType(t))
            {
                continue;
            }
            var local = new Message(t, 1, 2, 3);
            ArgumentException ex = Assert.Throws<ArgumentException>(() => RaftMessageCodec.Write(output, local));
            Assert.Contains(t.ToString(), ex.Message, StringComparison.Ordinal);
        }
        Message withResponses = App(1);
        withResponses.Responses = new[] { AppResp() };
        Assert.Throws<ArgumentException>(() => RaftMessageCodec.Write(output, withResponses));
        Message unknownType = Vote();
        unknownType.Type = (MessageType)24;
        Assert.Throws<ArgumentException>(() => RaftMessageCodec.Write(output, unknownType));
        Message unknownEntry = App(2);
        unknownEntry.Entries = new[] { new Entry(1, 1), new Entry(1, 2, (EntryType)3, ReadOnlyMemory<byte>.Empty) };
        Assert.Throws<ArgumentException>(() => RaftMessageCodec.Write(output, unknownEntry));
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void Encoded_size_of_an_entry_is_its_share_of_the_message()
    {
        Message m = App(0);
        long empty = RaftMessageCodec.EncodedSize(m);
        var rng = new Random(3);
        Entry[] entries = RandomEntries(rng);
        while (entries.Length is 0 or > 15) // keep the array header at one byte
        {
            entries = RandomEntries(rng);
        }
        m.Entries = entries;
        long sum = 0;
        foreach (Entry e in entries)
        {
            sum += RaftMessageCodec.EncodedSize(e);
        }
        Assert.Equal(empty + sum, RaftMessageCodec.EncodedSize(m));
        Assert.Equal(Encode(m).Length, RaftMessageCodec.EncodedSize(m));
    }

    [Fact]
    public void Array16_and_array32_entry_counts_round_trip()
    {
        foreach (int count in new[] { 15, 16, 65_535, 65_536 })
        {
            Message m = App(count, 0);
            byte[] bytes = Encode(m);
            Assert.Equal(bytes.Length, RaftMessageCodec.EncodedSize(m));
            AssertSameMessage(m, Decode(bytes, new EntryBuffer()));
        }
    }
}
