using System.Buffers;
using FastRaft.Codec;
using FastRaft.Core;
using FastRaft.Protocol;
using static FastRaft.Tests.Codec.CodecFixtures;

namespace FastRaft.Tests.Codec;

/// <summary>Malformed input is reported, never thrown, and leaves the caller's state as it was.</summary>
public class RaftMessageCodecRobustnessTests
{
    /// <summary>Random messages small enough to sweep every truncation of.</summary>
    private static IEnumerable<byte[]> SmallEncodings(int seed, int count)
    {
        var rng = new Random(seed);
        int produced = 0;
        while (produced < count)
        {
            Message m = RandomMessage(rng);
            if (RaftMessageCodec.EncodedSize(m) <= 2048)
            {
                produced++;
                yield return Encode(m);
            }
        }
    }

    /// <summary>
    /// Decodes <paramref name="bytes"/> into a buffer already holding one entry. On failure, checks
    /// the error and that offset and buffer are untouched; on success, that the message re-encodes
    /// to something that decodes to the same message.
    /// </summary>
    private static bool DecodeChecked(byte[] bytes)
    {
        var entries = new EntryBuffer();
        entries.Add(new Entry(9, 9));
        int offset = 0;
        bool ok = RaftMessageCodec.TryRead(bytes, ref offset, entries, out Message m, out WireError error);
        if (!ok)
        {
            Assert.False(string.IsNullOrEmpty(error.Text));
            Assert.Equal(0, offset);
            Assert.Equal(1, entries.Count);
            Assert.Equal(new Entry(9, 9), entries[0]);
            Assert.Equal(MessageType.Hup, m.Type);
            Assert.True(m.Entries.IsEmpty);
            return false;
        }
        Assert.False(error.IsError);
        Assert.InRange(offset, 1, bytes.Length);
        Assert.Equal(1 + m.Entries.Length, entries.Count);
        // Whatever the decoder accepts, the encoder accepts and reproduces.
        byte[] again = Encode(m);
        int o2 = 0;
        Assert.True(RaftMessageCodec.TryRead(again, ref o2, new EntryBuffer(), out Message m2, out WireError e2), e2.Text);
        AssertSameMessage(m, m2);
        return true;
    }

    [Fact]
    public void Every_truncation_of_valid_encodings_is_rejected()
    {
        int cases = 0;
        foreach (byte[] full in SmallEncodings(1, 300))
        {
            for (int length = 0; length < full.Length; length++)
            {
                Assert.False(DecodeChecked(full[..length]), $"a {length}-byte prefix of a {full.Length}-byte message decoded");
                cases++;
            }
            Assert.True(DecodeChecked(full));
        }
        Assert.True(cases > 10_000, $"only {cases} truncations");
    }

    [Fact]
    public void Random_bit_flips_are_rejected_or_decode_to_a_well_formed_message()
    {
        var rng = new Random(2);
        int accepted = 0, rejected = 0;
        foreach (byte[] full in SmallEncodings(3, 3000))
        {
            int flips = rng.Next(1, 4);
            for (int f = 0; f < flips; f++)
            {
                full[rng.Next(full.Length)] ^= (byte)(1 << rng.Next(8));
            }
            if (DecodeChecked(full))
            {
                accepted++;
            }
            else
            {
                rejected++;
            }
        }
        // Both outcomes occur: flips inside values stay well-formed, flips in structure do not.
        Assert.True(accepted > 100, $"accepted {accepted}");
        Assert.True(rejected > 100, $"rejected {rejected}");
    }

    [Fact]
    public void Random_garbage_is_rejected_without_throwing()
    {
        var rng = new Random(4);
        byte[] validStart = Encode(Heartbeat())[..2]; // array header and version: gets past the first checks
        for (int i = 0; i < 20_000; i++)
        {
            var garbage = new byte[rng.Next(0, 80)];
            rng.NextBytes(garbage);
            if (i % 2 == 0 && garbage.Length >= 2)
            {
                validStart.CopyTo(garbage, 0);
            }
            DecodeChecked(garbage);
        }
    }

    [Fact]
    public void Messages_built_token_by_token_with_random_wrong_tokens_are_rejected_or_well_formed()
    {
        // Structurally plausible input: the format's own token sequence in which each token is,
        // now and then, replaced by a random MessagePack token of another kind (or a wrong count),
        // so the decoder gets deep into messages before something is off.
        var rng = new Random(6);
        int accepted = 0, rejected = 0;
        for (int i = 0; i < 20_000; i++)
        {
            var output = new ArrayBufferWriter<byte>();
            var w = new MessagePack.MessagePackWriter(output);
            new TokenMutator(rng, 0.04).WriteMessage(ref w);
            w.Flush();
            if (DecodeChecked(output.WrittenSpan.ToArray()))
            {
                accepted++;
            }
            else
            {
                rejected++;
            }
        }
        Assert.True(accepted > 1000, $"accepted {accepted}");
        Assert.True(rejected > 1000, $"rejected {rejected}");
    }

    /// <summary>Writes the wire format's token sequence, replacing each token by a wrong one with a small probability.</summary>
    private sealed class TokenMutator(Random rng, double mutation)
    {
        private bool Mutate(ref MessagePack.MessagePackWriter w)
        {
            if (rng.NextDouble() >= mutation)
            {
                return false;
            }
            switch (rng.Next(7))
            {
                case 0: w.WriteNil(); break;
                case 1: w.Write(rng.Next(2) == 0); break;
                case 2: w.Write(-rng.Next(1, 100_000)); break;
                case 3: w.WriteArrayHeader(rng.Next(0, 20)); break;
                case 4: w.Write(new byte[rng.Next(0, 4)]); break;
                case 5: w.Write("s"); break;
                default: w.Write(RandomUInt(rng)); break;
            }
            return true;
        }

        private void UInt(ref MessagePack.MessagePackWriter w, ulong v)
        {
            if (!Mutate(ref w))
            {
                w.Write(v);
            }
        }

        private void Bool(ref MessagePack.MessagePackWriter w)
        {
            if (!Mutate(ref w))
            {
                w.Write(rng.Next(2) == 0);
            }
        }

        private void Bin(ref MessagePack.MessagePackWriter w)
        {
            if (!Mutate(ref w))
            {
                w.Write(new byte[rng.Next(0, 5)]);
            }
        }

        private void Array(ref MessagePack.MessagePackWriter w, int count)
        {
            if (!Mutate(ref w))
            {
                w.WriteArrayHeader(count);
            }
        }

        public void WriteMessage(ref MessagePack.MessagePackWriter w)
        {
            if (rng.Next(2) == 0)
            {
                Array(ref w, 14);
                UInt(ref w, 1);
            }
            else
            {
                Array(ref w, 15);
                UInt(ref w, 2);
                UInt(ref w, RandomUInt(rng));
            }
            UInt(ref w, (ulong)NetworkTypes[rng.Next(NetworkTypes.Length)]);
            for (int f = 0; f < 7; f++)
            {
                UInt(ref w, RandomUInt(rng));
            }
            Bool(ref w);
            UInt(ref w, RandomUInt(rng));
            Bin(ref w);
            int entries = rng.Next(0, 4);
            Array(ref w, entries);
            for (int e = 0; e < entries; e++)
            {
                Array(ref w, 4);
                UInt(ref w, RandomUInt(rng));
                UInt(ref w, RandomUInt(rng));
                UInt(ref w, (ulong)rng.Next(3));
                Bin(ref w);
            }
            if (rng.Next(2) == 0)
            {
                if (!Mutate(ref w))
                {
                    w.WriteNil();
                }
                return;
            }
            Array(ref w, 4);
            UInt(ref w, RandomUInt(rng));
            UInt(ref w, RandomUInt(rng));
            Array(ref w, 5);
            for (int list = 0; list < 4; list++)
            {
                int n = rng.Next(0, 3);
                Array(ref w, n);
                for (int k = 0; k < n; k++)
                {
                    UInt(ref w, RandomUInt(rng));
                }
            }
            Bool(ref w);
            Bin(ref w);
        }
    }

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "message: input ends inside the value", [] },
        { "message: expected an array of 14 elements (version 1) or 15 (version 2)", [0x9D, 0x01] },
        { "message: expected an array of 14 elements (version 1) or 15 (version 2)", [0x80] }, // a map
        { "message: expected an array of 14 elements (version 1) or 15 (version 2)", [0x9E, 0x02, 0x07] }, // version 2 needs 15
        { "message: expected an array of 14 elements (version 1) or 15 (version 2)", [0x9F, 0x01, 0x08] }, // version 1 has 14
        { "message: expected an array of 14 elements (version 1) or 15 (version 2)", [0xDC, 0x00, 0x10, 0x02] }, // 16 elements
        { "message.version: unsupported format version (this decoder reads versions 1 and 2)", [0x9E, 0x03] },
        { "message.version: unsupported format version (this decoder reads versions 1 and 2)", [0x9F, 0x03] },
        { "message.group_id: group id 0 travels as version 1, without a group id", [0x9F, 0x02, 0x00, 0x08] },
        { "message.group_id: negative integer", [0x9F, 0x02, 0xFF, 0x08] },
        { "message.group_id: input ends inside the value", [0x9F, 0x02, 0xCF, 0x00, 0x01] },
        { "message.group_id: expected an unsigned integer", [0x9F, 0x02, 0xC4, 0x00] },
        { "message.type: node-local message type, never sent between nodes", [0x9F, 0x02, 0x07, 0x00] },
        { "message.version: expected an unsigned integer", [0x9E, 0xC0] },
        { "message.type: unknown message type", [0x9E, 0x01, 0x18] },
        { "message.type: node-local message type, never sent between nodes", [0x9E, 0x01, 0x00] },
        { "message.type: node-local message type, never sent between nodes", [0x9E, 0x01, 0x13] },
        { "message.to: negative integer", [0x9E, 0x01, 0x03, 0xFF] },
        { "message.from: negative integer", [0x9E, 0x01, 0x03, 0x01, 0xD0, 0x80] },
        { "message.term: input ends inside the value", [0x9E, 0x01, 0x03, 0x01, 0x02, 0xCF, 0, 0, 0] },
        { "message.reject: expected a boolean", [0x9E, 0x01, 0x03, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01] },
        { "message.context: expected a binary string", [0x9E, 0x01, 0x03, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0xC2, 0x00, 0xA1, 0x61] },
        { "message.context: input ends inside the value", [0x9E, 0x01, 0x03, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0xC2, 0x00, 0xC6, 0xFF, 0xFF, 0xFF, 0xFF, 0x00] },
        { "message.entries: element count exceeds what the remaining input can hold", [.. Prefix, 0xDD, 0xFF, 0xFF, 0xFF, 0xFF, 0xC0] },
        { "message.entries: expected an array", [.. Prefix, 0xC0, 0xC0] },
        { "entry: expected an array of 4 elements", [.. Prefix, 0x91, 0x93, 0x01, 0x01, 0xC4, 0x00, 0xC0] },
        { "entry.type: unknown entry type", [.. Prefix, 0x91, 0x94, 0x01, 0x01, 0x03, 0xC4, 0x00, 0xC0] },
        { "entry.data: input ends inside the value", [.. Prefix, 0x91, 0x94, 0x01, 0x01, 0x00, 0xC4, 0x09, 0x00] },
        { "message.snapshot: input ends inside the value", [.. Prefix, 0x90] },
        { "message.snapshot: expected nil or an array of 4 elements", [.. Prefix, 0x90, 0xC2] },
        { "snapshot.conf_state: expected an array of 5 elements", [.. Prefix, 0x90, 0x94, 0x01, 0x01, 0x94] },
        { "conf_state.voters: element count exceeds what the remaining input can hold", [.. Prefix, 0x90, 0x94, 0x01, 0x01, 0x95, 0xDC, 0xFF, 0xFF, 0x01] },
        { "conf_state.learners_next: negative integer", [.. Prefix, 0x90, 0x94, 0x01, 0x01, 0x95, 0x90, 0x90, 0x90, 0x91, 0xE0, 0xC2, 0xC4, 0x00] },
        { "conf_state.auto_leave: expected a boolean", [.. Prefix, 0x90, 0x94, 0x01, 0x01, 0x95, 0x90, 0x90, 0x90, 0x90, 0xC0, 0xC4, 0x00] },
        { "snapshot.data: expected a binary string", [.. Prefix, 0x90, 0x94, 0x01, 0x01, 0x95, 0x90, 0x90, 0x90, 0x90, 0xC3, 0xC0] },
    };

    /// <summary>A well-formed MsgApp up to and including its context (12 of its 14 elements).</summary>
    private static readonly byte[] Prefix = [0x9E, 0x01, 0x03, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0xC2, 0x00, 0xC4, 0x00];

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_input_names_the_field_and_the_problem(string expected, byte[] bytes)
    {
        int offset = 0;
        Assert.False(RaftMessageCodec.TryRead(bytes, ref offset, new EntryBuffer(), out _, out WireError error));
        Assert.Equal(expected, error.Text);
        Assert.Equal(0, offset);
    }

    [Fact]
    public void A_bad_entry_after_good_ones_leaves_offset_and_entry_buffer_as_they_were()
    {
        byte[] first = Encode(Vote());
        Message app = App(5);
        byte[] second = Encode(app);
        // Corrupt the last entry's type: counting back from the end, the nil snapshot, the
        // 32-byte payload with its bin8 header, then the type fixint.
        int lastEntryType = second.Length - 1 /*nil*/ - 34 /*bin8 of 32*/ - 1 /*type*/;
        Assert.Equal(0x00, second[lastEntryType]);
        second[lastEntryType] = 0x07;
        byte[] both = [.. first, .. second];

        var entries = new EntryBuffer();
        int offset = 0;
        Assert.True(RaftMessageCodec.TryRead(both, ref offset, entries, out Message vote, out _));
        Assert.Equal(MessageType.Vote, vote.Type);
        Assert.Equal(first.Length, offset);
        Assert.False(RaftMessageCodec.TryRead(both, ref offset, entries, out _, out WireError error));
        Assert.Equal("entry.type: unknown entry type", error.Text);
        Assert.Equal(first.Length, offset);
        Assert.Equal(0, entries.Count);
    }

    [Fact]
    public void An_offset_outside_the_source_is_a_caller_bug()
    {
        var entries = new EntryBuffer();
        byte[] bytes = Encode(Vote());
        int offset = bytes.Length + 1;
        Assert.Throws<ArgumentOutOfRangeException>(() => RaftMessageCodec.TryRead(bytes, ref offset, entries, out _, out _));
        offset = -1;
        Assert.Throws<ArgumentOutOfRangeException>(() => RaftMessageCodec.TryRead(bytes, ref offset, entries, out _, out _));
        offset = bytes.Length; // at the end: nothing left, a clean "truncated"
        Assert.False(RaftMessageCodec.TryRead(bytes, ref offset, entries, out _, out WireError error));
        Assert.Equal("message: input ends inside the value", error.Text);
    }
}
