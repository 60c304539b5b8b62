using System.Buffers;
using FastRaft.Protocol;
using FastRaft.Transport.Tcp.Snapshots;

namespace FastRaft.Tests.Tcp;

/// <summary>A snapshot cut into piece frames and put back together; every malformed or oversized transfer refused with its budget returned.</summary>
public class SnapshotAssemblerTests
{
    private static Message SnapshotMessage(byte[] data, ulong from = 1) => new()
    {
        Type = MessageType.Snapshot,
        From = from,
        To = 2,
        Term = 5,
        Context = new byte[] { 7, 8, 9 },
        Snapshot = new Snapshot(data, new SnapshotMetadata(new ConfState { Voters = [1, 2, 3] }, 1234, 4)),
    };

    private static byte[] RandomBytes(int n, int seed)
    {
        byte[] b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static ReadOnlySequence<byte> Seq(ReadOnlySpan<byte> payload) => new(payload.ToArray());

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(SnapshotTransferFormat.MaxPieceBytes)]
    [InlineData((3 * SnapshotTransferFormat.MaxPieceBytes) + 17)]
    public void Pieces_put_back_together_give_the_same_message_and_data(int size)
    {
        byte[] data = RandomBytes(size, size);
        using OutgoingSnapshot outgoing = OutgoingSnapshot.Copy(SnapshotMessage(data));
        Assert.Equal((size + SnapshotTransferFormat.MaxPieceBytes - 1) / SnapshotTransferFormat.MaxPieceBytes, outgoing.PieceCount);
        var budget = new SnapshotBudget(1 << 20);
        using var assembler = new SnapshotAssembler(budget, 1 << 20, peer: 1);

        Assert.Equal(AssemblyOutcome.InProgress, assembler.Accept(Seq(outgoing.Header)));
        Assert.Equal(size, budget.Used);
        for (int i = 0; i < outgoing.PieceCount; i++)
        {
            Assert.True(outgoing.Piece(i).Length <= OutgoingSnapshot.PieceFrameBytes);
            Assert.Equal(AssemblyOutcome.InProgress, assembler.Accept(Seq(outgoing.Piece(i))));
        }
        Assert.Equal(AssemblyOutcome.Completed, assembler.Accept(Seq([SnapshotTransferFormat.EndKind])));
        Message m = assembler.TakeMessage();
        Assert.Equal((MessageType.Snapshot, 1UL, 2UL, 5UL), (m.Type, m.From, m.To, m.Term));
        Assert.Equal([7, 8, 9], m.Context.ToArray());
        Assert.Equal(SnapshotMessage(data).Snapshot, m.Snapshot);
        Assert.Equal(0, budget.Used);
        Assert.False(assembler.InProgress);
    }

    [Fact]
    public void A_piece_split_across_segments_is_copied_whole()
    {
        byte[] data = RandomBytes(1000, 3);
        using OutgoingSnapshot outgoing = OutgoingSnapshot.Copy(SnapshotMessage(data));
        using var assembler = new SnapshotAssembler(new SnapshotBudget(1 << 20), 1 << 20, peer: 1);
        Assert.Equal(AssemblyOutcome.InProgress, assembler.Accept(Seq(outgoing.Header)));
        byte[] piece = outgoing.Piece(0).ToArray();
        Assert.Equal(AssemblyOutcome.InProgress, assembler.Accept(TwoSegments(piece, 1)));
        Assert.Equal(AssemblyOutcome.Completed, assembler.Accept(Seq([SnapshotTransferFormat.EndKind])));
        Assert.Equal(data, assembler.TakeMessage().Snapshot!.Data.ToArray());
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "too large", "above the limit" },
        { "over budget", "fill the budget" },
        { "beyond announced", "beyond the announced" },
        { "ended early", "ended after" },
        { "other sender", "on node 1's connection" },
        { "piece first", "outside a transfer" },
        { "answer kind", "only a sender receives" },
        { "two headers", "before the previous transfer ended" },
        { "not a snapshot", "not a snapshot message" },
        { "short header", "too short" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_bad_transfer_is_refused_with_a_reason_and_returns_its_budget(string bad, string because)
    {
        byte[] data = RandomBytes(100_000, 9);
        var budget = new SnapshotBudget(bad == "over budget" ? 50_000 : 1 << 20);
        using var assembler = new SnapshotAssembler(budget, bad == "too large" ? 50_000 : 1 << 20, peer: 1);
        using OutgoingSnapshot outgoing = OutgoingSnapshot.Copy(SnapshotMessage(data, from: bad == "other sender" ? 3UL : 1UL));
        AssemblyOutcome last = bad switch
        {
            "piece first" => assembler.Accept(Seq(outgoing.Piece(0))),
            "answer kind" => assembler.Accept(Seq([SnapshotTransferFormat.AnswerKind, 1])),
            "short header" => assembler.Accept(Seq([SnapshotTransferFormat.HeaderKind, 0, 0])),
            "not a snapshot" => assembler.Accept(Seq(HeaderAround(new Message { Type = MessageType.Append, From = 1, To = 2 }, 10))),
            _ => Run(),
        };
        Assert.Equal(AssemblyOutcome.Refused, last);
        Assert.Contains(because, assembler.Refusal);
        Assert.Equal(0, budget.Used);
        Assert.False(assembler.InProgress);

        AssemblyOutcome Run()
        {
            AssemblyOutcome o = assembler.Accept(Seq(outgoing.Header));
            if (o != AssemblyOutcome.InProgress)
            {
                return o;
            }
            switch (bad)
            {
                case "beyond announced":
                    for (int i = 0; i < outgoing.PieceCount; i++)
                    {
                        assembler.Accept(Seq(outgoing.Piece(i)));
                    }
                    return assembler.Accept(Seq(outgoing.Piece(0)));
                case "ended early":
                    assembler.Accept(Seq(outgoing.Piece(0)));
                    return assembler.Accept(Seq([SnapshotTransferFormat.EndKind]));
                case "two headers":
                    return assembler.Accept(Seq(outgoing.Header));
                default:
                    throw new InvalidOperationException(bad);
            }
        }
    }

    [Fact]
    public void Disposing_mid_transfer_returns_the_budget()
    {
        var budget = new SnapshotBudget(1 << 20);
        using OutgoingSnapshot outgoing = OutgoingSnapshot.Copy(SnapshotMessage(RandomBytes(200_000, 1)));
        var assembler = new SnapshotAssembler(budget, 1 << 20, peer: 1);
        assembler.Accept(Seq(outgoing.Header));
        assembler.Accept(Seq(outgoing.Piece(0)));
        Assert.Equal(200_000, budget.Used);
        assembler.Dispose();
        Assert.Equal(0, budget.Used);
    }

    private static byte[] HeaderAround(Message m, long length)
    {
        var encoded = new ArrayBufferWriter<byte>();
        FastRaft.Codec.RaftMessageCodec.Write(encoded, in m);
        byte[] header = new byte[SnapshotTransferFormat.HeaderFixedSize + encoded.WrittenCount];
        SnapshotTransferFormat.WriteHeaderPrefix(header, length);
        encoded.WrittenSpan.CopyTo(header.AsSpan(SnapshotTransferFormat.HeaderFixedSize));
        return header;
    }

    private static ReadOnlySequence<byte> TwoSegments(byte[] bytes, int cut)
    {
        var first = new Segment(bytes.AsMemory(0, cut), 0);
        Segment last = first.Append(bytes.AsMemory(cut));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
