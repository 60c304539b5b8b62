using System.Buffers;
using FastRaft.Codec;
using FastRaft.Protocol;

namespace FastRaft.Tests.Codec;

/// <summary>Random and hand-built messages for the codec tests, and a field-by-field comparison.</summary>
internal static class CodecFixtures
{
    /// <summary>Every message type that may cross the network.</summary>
    public static readonly MessageType[] NetworkTypes = Build();

    private static MessageType[] Build()
    {
        var list = new List<MessageType>();
        foreach (MessageType t in Enum.GetValues<MessageType>())
        {
            if (RaftMessageCodec.IsWireType(t))
            {
                list.Add(t);
            }
        }
        return [.. list];
    }

    /// <summary>Integers at every MessagePack width boundary, so each encoding length is exercised.</summary>
    private static readonly ulong[] Boundaries =
    [
        0, 1, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x1_0000, 0xFFFF_FFFF, 0x1_0000_0000, ulong.MaxValue - 1, ulong.MaxValue,
    ];

    public static ulong RandomUInt(Random rng) => rng.Next(4) switch
    {
        0 => Boundaries[rng.Next(Boundaries.Length)],
        1 => (ulong)rng.Next(0, 200),
        2 => (ulong)rng.NextInt64(),
        _ => (ulong)rng.NextInt64() >> rng.Next(64),
    };

    public static byte[] RandomBytes(Random rng)
    {
        int length = rng.Next(60) switch
        {
            < 18 => 0,
            < 48 => rng.Next(1, 40),
            < 59 => rng.Next(200, 400), // around the bin8 / bin16 boundary
            _ => rng.Next(65_530, 65_600), // around the bin16 / bin32 boundary
        };
        var b = new byte[length];
        rng.NextBytes(b);
        return b;
    }

    public static ulong[] RandomIds(Random rng)
    {
        int n = rng.Next(10) switch
        {
            < 3 => 0,
            < 9 => rng.Next(1, 8),
            _ => rng.Next(14, 20), // fixarray / array16 boundary
        };
        var ids = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            ids[i] = RandomUInt(rng);
        }
        return ids;
    }

    public static Snapshot RandomSnapshot(Random rng) => new(
        RandomBytes(rng),
        new SnapshotMetadata(
            new ConfState
            {
                Voters = RandomIds(rng),
                Learners = RandomIds(rng),
                VotersOutgoing = RandomIds(rng),
                LearnersNext = RandomIds(rng),
                AutoLeave = rng.Next(2) == 1,
            },
            RandomUInt(rng),
            RandomUInt(rng)));

    public static Entry[] RandomEntries(Random rng)
    {
        int n = rng.Next(10) switch
        {
            < 3 => 0,
            < 8 => rng.Next(1, 16),
            _ => rng.Next(14, 40),
        };
        var entries = new Entry[n];
        for (int i = 0; i < n; i++)
        {
            entries[i] = new Entry(RandomUInt(rng), RandomUInt(rng), (EntryType)rng.Next(3), RandomBytes(rng));
        }
        return entries;
    }

    /// <summary>A message of a network type with every field drawn at random (any combination of them).</summary>
    public static Message RandomMessage(Random rng) => new()
    {
        Type = NetworkTypes[rng.Next(NetworkTypes.Length)],
        To = RandomUInt(rng),
        From = RandomUInt(rng),
        Term = RandomUInt(rng),
        LogTerm = RandomUInt(rng),
        Index = RandomUInt(rng),
        Commit = RandomUInt(rng),
        Vote = RandomUInt(rng),
        Reject = rng.Next(2) == 1,
        RejectHint = RandomUInt(rng),
        Context = rng.Next(3) == 0 ? RandomBytes(rng) : ReadOnlyMemory<byte>.Empty,
        Entries = RandomEntries(rng),
        Snapshot = rng.Next(4) == 0 ? RandomSnapshot(rng) : null,
        // Half single-group (version 1), half of a group (version 2, any non-zero id).
        GroupId = rng.Next(2) == 0 ? 0 : Math.Max(1, RandomUInt(rng)),
    };

    public static Entry[] Entries(int count, int payloadSize, ulong firstIndex = 100)
    {
        var entries = new Entry[count];
        for (int i = 0; i < count; i++)
        {
            var data = new byte[payloadSize];
            data.AsSpan().Fill((byte)i);
            entries[i] = new Entry(7, firstIndex + (ulong)i, EntryType.Normal, data);
        }
        return entries;
    }

    public static Message App(int entries, int payloadSize = 32) => new(MessageType.Append, 1, 2, 7)
    {
        LogTerm = 7,
        Index = 99,
        Commit = 98,
        Entries = Entries(entries, payloadSize),
    };

    public static Message Heartbeat() => new(MessageType.Heartbeat, 1, 2, 7) { Commit = 1234, Context = new byte[] { 1, 2, 3 } };

    public static Message Vote() => new(MessageType.Vote, 3, 1, 8) { LogTerm = 7, Index = 4567 };

    public static Message AppResp() => new(MessageType.AppendResponse, 2, 1, 7) { Index = 163, Reject = true, RejectHint = 120, LogTerm = 6 };

    public static byte[] Encode(in Message m)
    {
        var output = new ArrayBufferWriter<byte>();
        RaftMessageCodec.Write(output, in m);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Asserts every wire field of <paramref name="actual"/> equals <paramref name="expected"/>'s.</summary>
    public static void AssertSameMessage(in Message expected, in Message actual)
    {
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.GroupId, actual.GroupId);
        Assert.Equal(expected.To, actual.To);
        Assert.Equal(expected.From, actual.From);
        Assert.Equal(expected.Term, actual.Term);
        Assert.Equal(expected.LogTerm, actual.LogTerm);
        Assert.Equal(expected.Index, actual.Index);
        Assert.Equal(expected.Commit, actual.Commit);
        Assert.Equal(expected.Vote, actual.Vote);
        Assert.Equal(expected.Reject, actual.Reject);
        Assert.Equal(expected.RejectHint, actual.RejectHint);
        Assert.True(expected.Context.Span.SequenceEqual(actual.Context.Span), "context differs");
        Assert.Equal(expected.Entries.Length, actual.Entries.Length);
        for (int i = 0; i < expected.Entries.Length; i++)
        {
            Entry e = expected.Entries.Span[i];
            Entry a = actual.Entries.Span[i];
            Assert.Equal(e.Term, a.Term);
            Assert.Equal(e.Index, a.Index);
            Assert.Equal(e.Type, a.Type);
            Assert.True(e.Data.Span.SequenceEqual(a.Data.Span), $"entry {i} payload differs");
        }
        if (expected.Snapshot is null)
        {
            Assert.Null(actual.Snapshot);
        }
        else
        {
            Assert.NotNull(actual.Snapshot);
            SnapshotMetadata em = expected.Snapshot.Metadata;
            SnapshotMetadata am = actual.Snapshot.Metadata;
            Assert.Equal(em.Index, am.Index);
            Assert.Equal(em.Term, am.Term);
            Assert.Equal(em.ConfState.Voters, am.ConfState.Voters);
            Assert.Equal(em.ConfState.Learners, am.ConfState.Learners);
            Assert.Equal(em.ConfState.VotersOutgoing, am.ConfState.VotersOutgoing);
            Assert.Equal(em.ConfState.LearnersNext, am.ConfState.LearnersNext);
            Assert.Equal(em.ConfState.AutoLeave, am.ConfState.AutoLeave);
            Assert.True(expected.Snapshot.Data.Span.SequenceEqual(actual.Snapshot.Data.Span), "snapshot data differs");
        }
        Assert.True(actual.Responses.IsEmpty);
    }
}
