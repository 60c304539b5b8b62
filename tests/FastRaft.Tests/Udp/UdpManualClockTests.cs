using FastRaft.Core;
using FastRaft.Protocol;
using FastRaft.Tests.Codec;
using FastRaft.Transport.Udp;

namespace FastRaft.Tests.Udp;

/// <summary>
/// Chunked transfers in the polled mode on a manual clock (<see cref="UdpTransportOptions.Time"/>):
/// resends, backoff, stalls and reassembly expiry happen exactly when the clock says, and never
/// while it stands still, however long the test takes.
/// </summary>
public class UdpManualClockTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    private static Message SnapshotMessage(int bytes, ulong index)
    {
        var data = new byte[bytes];
        new Random((int)index).NextBytes(data);
        var snap = new Snapshot(data, new SnapshotMetadata(new ConfState { Voters = [1, 2] }, index, 5));
        return new Message(MessageType.Snapshot, from: 1, to: 2, term: 5) { Snapshot = snap };
    }

    private static UdpGroup Group(ManualClock clock, Func<UdpTransportOptions, UdpTransportOptions> configure) => new(2, o => configure(o with
    {
        Time = clock,
        HousekeepingInterval = Ms, // housekeeping at every poll the clock has moved since
        ChunkResendInterval = 50 * Ms,
    }), mode: UdpMode.Manual);

    [Fact]
    public void Lost_chunks_are_resent_when_the_resend_interval_has_passed_then_after_doubling_waits_and_a_stalled_transfer_fails_at_its_timeout()
    {
        var clock = new ManualClock();
        var faults = new UdpFaultInjection { Seed = 1, ChunkLossRate = 1 };
        using var g = Group(clock, o => o with { TransferStallTimeout = TimeSpan.FromSeconds(1), FaultInjection = o.LocalId == 1 ? faults : null });
        UdpTransportCounters sent = g[1].Counters;
        Message m = SnapshotMessage(1024 * 1024, index: 10);
        g[1].Send(in m);
        g[1].Flush();
        long window = sent.ChunksSent;
        Assert.InRange(window, 2, 10);

        g.PollAll();
        clock.Advance(49 * Ms);
        g.PollAll();
        Assert.Equal(0, sent.ChunksResent);
        clock.Advance(Ms); // 50 ms without progress: the window is resent
        g.PollAll();
        Assert.Equal(window, sent.ChunksResent);
        clock.Advance(99 * Ms); // the next resend waits twice as long
        g.PollAll();
        Assert.Equal(window, sent.ChunksResent);
        clock.Advance(Ms);
        g.PollAll();
        Assert.Equal(2 * window, sent.ChunksResent);

        // No acknowledged progress for the stall timeout (1 s from the start): given up, reported failed.
        clock.Advance(850 * Ms);
        g.PollAll();
        Assert.Empty(g.Sinks[1].SnapshotReports);
        clock.Advance(Ms);
        g.PollAll();
        Assert.Equal([(2UL, SnapshotStatus.Failure)], g.Sinks[1].SnapshotReports);
        Assert.Equal(1, sent.TransfersFailed);
        Assert.Equal(0, g[2].Counters.DatagramsReceived);

        // The retry, with nothing lost and the clock standing still: delivered with no resend at all.
        faults.ChangeChunkLossRate(0);
        g.Sinks[1].SnapshotReports.Clear();
        long resent = sent.ChunksResent;
        g[1].Send(in m);
        g[1].Flush();
        Assert.True(g.PollUntil(() => !g.Sinks[1].SnapshotReports.IsEmpty), "the retry did not complete");
        Assert.Equal([(2UL, SnapshotStatus.Finish)], g.Sinks[1].SnapshotReports);
        CodecFixtures.AssertSameMessage(m, Assert.Single(g.Sinks[2].Messages()));
        Assert.Equal(resent, sent.ChunksResent);
        Assert.Equal(0, g[2].Counters.DroppedTotal);
    }

    [Fact]
    public void A_reassembly_whose_sender_fell_silent_is_abandoned_when_the_reassembly_timeout_has_passed()
    {
        var clock = new ManualClock();
        using var g = Group(clock, o => o with
        {
            ReassemblyTimeout = TimeSpan.FromSeconds(1),
            // Node 2's acknowledgements are lost: node 1 sends its first window and no more.
            FaultInjection = o.LocalId == 2 ? new UdpFaultInjection { LossRate = 1 } : null,
        });
        g[1].Send(SnapshotMessage(1024 * 1024, index: 20));
        g[1].Flush();
        long window = g[1].Counters.ChunksSent;
        UdpTransportCounters received = g[2].Counters;
        Assert.True(g.PollUntil(() => received.ChunksReceived == window));
        Assert.Equal(1, g[2].ActiveReassemblies);
        Assert.True(g[2].ReassemblyBytes >= 1024 * 1024);

        // Only node 2 is polled from here: node 1's resends would be duplicates anyway.
        long Poll2() => g[2].Poll(clock.GetTimestamp());
        clock.Advance(TimeSpan.FromSeconds(1));
        Poll2();
        Assert.Equal(1, g[2].ActiveReassemblies);
        clock.Advance(Ms); // (housekeeping runs once a millisecond)
        Assert.Equal(1, Poll2()); // the abandonment is the poll's work
        Assert.Equal(0, g[2].ActiveReassemblies);
        Assert.Equal(0, g[2].ReassemblyBytes);
        Assert.Equal(1, received.ReassembliesTimedOut);
        Assert.Equal(0, g.Sinks[2].Count);
    }
}
