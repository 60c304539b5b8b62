using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Sample.Matching;

namespace FastRaft.Tests.Sample;

/// <summary>
/// The matching state machine's snapshot check (what the node asks before persisting a snapshot
/// from the leader): it accepts exactly what RestoreSnapshot restores, and never touches the
/// live engine.
/// </summary>
public class MatchingSnapshotValidationTests
{
    private static MatchingStateMachine Busy(int seed)
    {
        var sm = new MatchingStateMachine(MatchingEngineTests.Instruments);
        var engine = new MatchingEngine(MatchingEngineTests.Instruments);
        SnapshotTests.Drive(2_000, seed, engine);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePack.MessagePackWriter(buffer);
        writer.Write(42UL);
        engine.WriteSnapshot(ref writer);
        writer.Flush();
        sm.RestoreSnapshot(new MemoryStream(buffer.WrittenSpan.ToArray()));
        return sm;
    }

    private static byte[] SnapshotOf(MatchingStateMachine sm)
    {
        using var stream = new MemoryStream();
        sm.SaveSnapshot(stream);
        return stream.ToArray();
    }

    [Fact]
    public void A_snapshot_the_state_machine_wrote_is_accepted_and_so_is_the_empty_bootstrap_one()
    {
        byte[] data = SnapshotOf(Busy(seed: 3));
        Assert.True(new MatchingStateMachine(MatchingEngineTests.Instruments).ValidateSnapshot(data).Succeeded);
        Assert.True(new MatchingStateMachine(MatchingEngineTests.Instruments).ValidateSnapshot(ReadOnlyMemory<byte>.Empty).Succeeded);
    }

    [Fact]
    public void Damaged_snapshots_are_refused_exactly_when_restoring_them_fails_and_the_live_state_is_untouched()
    {
        MatchingStateMachine live = Busy(seed: 5);
        (ulong index, byte[] hash) = live.HashState();
        byte[] good = SnapshotOf(Busy(seed: 9));

        var damaged = new List<byte[]> { new byte[] { 0xC1 }, (byte[])[.. good, 0], "not a snapshot"u8.ToArray() };
        for (int n = 1; n < good.Length; n += Math.Max(1, good.Length / 200))
        {
            damaged.Add(good[..n]);
        }
        var flipped = (byte[])good.Clone();
        flipped[good.Length / 2] ^= 0xFF;
        damaged.Add(flipped);

        foreach (byte[] data in damaged)
        {
            SnapshotValidationResult check = live.ValidateSnapshot(data);
            bool restores = Restores(data);
            Assert.Equal(restores, check.Succeeded);
            if (!check.Succeeded)
            {
                Assert.Contains("snapshot", check.FailureReason, StringComparison.Ordinal);
            }
        }
        Assert.Equal(index, live.HashState().LastIndex);
        Assert.Equal(hash, live.HashState().Hash);
    }

    [Fact]
    public void A_snapshot_of_an_engine_trading_other_instruments_is_refused()
    {
        var other = new MatchingStateMachine([new Instrument(1, "ACME"), new Instrument(3, "INITECH")]);
        SnapshotValidationResult check = other.ValidateSnapshot(SnapshotOf(Busy(seed: 4)));
        Assert.False(check.Succeeded);
        Assert.Contains("instruments", check.FailureReason, StringComparison.Ordinal);
    }

    private static bool Restores(byte[] data)
    {
        try
        {
            new MatchingStateMachine(MatchingEngineTests.Instruments).RestoreSnapshot(new MemoryStream(data));
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }
}
