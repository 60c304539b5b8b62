using System.Buffers;
using FastRaft.Protocol;
using FastRaft.Sample.Matching;
using FastRaft.Sample.Workload;

namespace FastRaft.Tests.Sample;

public class SnapshotTests
{
    /// <summary>Runs <paramref name="count"/> commands from several flows (one per client) through <paramref name="engines"/>.</summary>
    internal static void Drive(int count, int seed, params MatchingEngine[] engines) =>
        Drive(count, seed, 8, engines);

    internal static void Drive(int count, int seed, int clients, MatchingEngine[] engines)
    {
        var flows = new OrderFlow[clients];
        for (int c = 0; c < clients; c++)
        {
            flows[c] = new OrderFlow(engines[0].Instruments, seed * 100 + c) { InvalidEvery = 50 };
        }
        var sequences = new ulong[clients];
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            int c = random.Next(clients);
            OrderCommand command = flows[c].Next((ulong)c + 1, ++sequences[c]);
            CommandResult first = engines[0].Execute(command);
            for (int e = 1; e < engines.Length; e++)
            {
                Assert.Equal(first, engines[e].Execute(command));
            }
            flows[c].Observe(command, first);
        }
    }

    private static byte[] Snapshot(MatchingEngine engine)
    {
        var buffer = new ArrayBufferWriter<byte>();
        engine.WriteSnapshot(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void A_restored_engine_has_the_same_state_and_behaves_identically_from_there()
    {
        var original = new MatchingEngine(MatchingEngineTests.Instruments);
        Drive(20_000, seed: 7, original);
        Assert.True(original.RestingOrders > 0);
        Assert.True(original.Statistics.Trades > 1000);

        var restored = new MatchingEngine(MatchingEngineTests.Instruments);
        Drive(100, seed: 99, restored); // whatever it held is replaced
        restored.RestoreSnapshot(Snapshot(original));
        Assert.Equal(Snapshot(original), Snapshot(restored));
        Assert.Equal(original.ComputeStateHash(), restored.ComputeStateHash());
        Assert.Equal(original.Statistics, restored.Statistics);
        Assert.Equal(original.RestingOrders, restored.RestingOrders);

        // Same commands afterwards (flows seeded afresh: cancels of unknown ids are fine) give the same results.
        Drive(20_000, seed: 8, original, restored);
        Assert.Equal(original.ComputeStateHash(), restored.ComputeStateHash());
    }

    [Fact]
    public void Replicas_fed_the_same_commands_hash_equal_and_a_different_command_changes_the_hash()
    {
        var a = new MatchingEngine(MatchingEngineTests.Instruments);
        var b = new MatchingEngine(MatchingEngineTests.Instruments);
        Drive(5_000, seed: 3, a, b);
        Assert.Equal(a.ComputeStateHash(), b.ComputeStateHash());
        a.Execute(OrderCommand.Limit(77, 1, 1, Side.Buy, 1, 1));
        Assert.NotEqual(a.ComputeStateHash(), b.ComputeStateHash());
    }

    [Fact]
    public void Dedup_state_survives_a_snapshot()
    {
        var engine = new MatchingEngine(MatchingEngineTests.Instruments);
        var order = OrderCommand.Limit(5, 3, 1, Side.Buy, 100, 10);
        CommandResult first = engine.Execute(order);
        var restored = new MatchingEngine(MatchingEngineTests.Instruments);
        restored.RestoreSnapshot(Snapshot(engine));
        Assert.Equal(first with { Duplicate = true }, restored.Execute(order));
        Assert.Equal(ResultCode.Stale, restored.Execute(order with { Sequence = 2 }).Code);
        Assert.Equal(1, restored.RestingOrders);
    }

    [Fact]
    public void A_stream_snapshot_round_trips()
    {
        var engine = new MatchingEngine(MatchingEngineTests.Instruments);
        Drive(2_000, seed: 11, engine);
        using var stream = new MemoryStream();
        engine.WriteSnapshot(stream);
        stream.Position = 0;
        var restored = new MatchingEngine(MatchingEngineTests.Instruments);
        restored.RestoreSnapshot(stream);
        Assert.Equal(engine.ComputeStateHash(), restored.ComputeStateHash());
    }

    [Fact]
    public void Damaged_snapshots_are_refused_with_a_clear_error_and_leave_an_empty_engine()
    {
        var engine = new MatchingEngine(MatchingEngineTests.Instruments);
        Drive(3_000, seed: 5, engine);
        byte[] good = Snapshot(engine);
        var target = new MatchingEngine(MatchingEngineTests.Instruments);
        byte[] empty = target.ComputeStateHash();
        for (int n = 0; n < good.Length; n += Math.Max(1, good.Length / 200))
        {
            Assert.Throws<InvalidDataException>(() => target.RestoreSnapshot(good.AsMemory(0, n)));
            Assert.Equal(empty, target.ComputeStateHash());
        }
        Assert.Throws<InvalidDataException>(() => target.RestoreSnapshot((byte[])[.. good, 0]));
        var random = new Random(5);
        int refused = 0;
        for (int i = 0; i < 300; i++)
        {
            byte[] damaged = (byte[])good.Clone();
            damaged[random.Next(damaged.Length)] ^= (byte)(1 + random.Next(255));
            try
            {
                target.RestoreSnapshot(damaged);
            }
            catch (InvalidDataException)
            {
                refused++;
                Assert.Equal(empty, target.ComputeStateHash());
            }
        }
        // A flipped byte inside a number can still be a valid (different) snapshot; most are refused.
        Assert.True(refused > 0);
    }

    [Fact]
    public void A_snapshot_of_other_instruments_is_refused()
    {
        var engine = new MatchingEngine(MatchingEngineTests.Instruments);
        Drive(100, seed: 1, engine);
        var other = new MatchingEngine([new(1, "ACME"), new(3, "INITECH")]);
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => other.RestoreSnapshot(Snapshot(engine)));
        Assert.Contains("instruments", e.Message);
    }

    [Fact]
    public void The_state_machine_applies_entries_skips_empty_ones_rejects_garbage_and_snapshots_its_index()
    {
        var sm = new MatchingStateMachine(MatchingEngineTests.Instruments);
        Entry[] entries =
        [
            new Entry(1, 5, EntryType.Normal, ReadOnlyMemory<byte>.Empty),
            new Entry(1, 6, EntryType.Normal, CommandCodec.Encode(OrderCommand.Limit(1, 1, 1, Side.Sell, 100, 5))),
            new Entry(1, 7, EntryType.Normal, new byte[] { 1, 2, 3 }),
            new Entry(1, 8, EntryType.Normal, CommandCodec.Encode(OrderCommand.Market(2, 1, 1, Side.Buy, 3))),
        ];
        var results = new CommandResult[entries.Length];
        sm.Apply(entries, results);
        Assert.Equal(ResultCode.None, results[0].Code);
        Assert.Equal((ResultCode.Accepted, 5L), (results[1].Code, results[1].Resting));
        Assert.Equal(CommandResult.Rejected(RejectReason.Malformed), results[2]);
        Assert.Equal((3L, 1), (results[3].Filled, results[3].Trades));
        Assert.Equal(8ul, sm.LastIndex);

        using var stream = new MemoryStream();
        sm.SaveSnapshot(stream);
        stream.Position = 0;
        var copy = new MatchingStateMachine(MatchingEngineTests.Instruments);
        copy.RestoreSnapshot(stream);
        Assert.Equal(sm.HashState().Hash, copy.HashState().Hash);
        Assert.Equal(8ul, copy.LastIndex);
        Assert.Equal(3, copy.Statistics.Commands);

        copy.RestoreSnapshot(new MemoryStream());
        Assert.Equal(0ul, copy.LastIndex);
        Assert.Equal(0, copy.Statistics.Commands);
        Assert.Throws<InvalidDataException>(() => copy.RestoreSnapshot(new MemoryStream([0xc1])));
    }
}
