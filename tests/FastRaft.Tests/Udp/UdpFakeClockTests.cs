using FastRaft.Protocol;
using FastRaft.Transport.Udp;
using Microsoft.Extensions.Time.Testing;

namespace FastRaft.Tests.Udp;

/// <summary>
/// With a receive thread (<see cref="UdpTransportOptions.ReceiveThread"/>) the transport's
/// housekeeping deadlines follow <see cref="UdpTransportOptions.Time"/> as the polled mode's do
/// (<see cref="UdpManualClockTests"/>): a reassembly whose sender fell silent, given an hour,
/// is abandoned as soon as a <see cref="FakeTimeProvider"/> passes that hour.
/// </summary>
public class UdpFakeClockTests
{
    [Fact]
    public void A_silent_senders_reassembly_is_abandoned_by_the_receive_thread_when_the_fake_clock_passes_the_reassembly_timeout()
    {
        var clock = new FakeTimeProvider();
        using var g = new UdpGroup(2, o => o with
        {
            Time = clock,
            ReassemblyTimeout = TimeSpan.FromHours(1),
            // So that the idle timeout, not the whole-transfer deadline, is what ends it.
            ReassemblyMinBytesPerSecond = 1,
            TransferStallTimeout = TimeSpan.FromHours(10),
            ChunkResendInterval = TimeSpan.FromHours(10),
            // Node 2's acknowledgements are lost: node 1 sends its first window and no more.
            FaultInjection = o.LocalId == 2 ? new UdpFaultInjection { LossRate = 1 } : null,
        }, mode: UdpMode.Threaded);
        var data = new byte[1024 * 1024];
        new Random(20).NextBytes(data);
        var snapshot = new Snapshot(data, new SnapshotMetadata(new ConfState { Voters = [1, 2] }, 20, 5));
        g[1].Send(new Message(MessageType.Snapshot, from: 1, to: 2, term: 5) { Snapshot = snapshot });
        g[1].Flush();
        long window = g[1].Counters.ChunksSent;
        UdpTransportCounters received = g[2].Counters;
        Assert.True(Wait.Until(() => received.ChunksReceived == window));
        Assert.Equal(1, g[2].ActiveReassemblies);

        // Under the timeout: still there.
        clock.Advance(TimeSpan.FromMinutes(30));
        Assert.False(Wait.Until(() => received.ReassembliesTimedOut > 0, TimeSpan.FromMilliseconds(100)));
        Assert.Equal(1, g[2].ActiveReassemblies);

        // Past it: the receive thread's next housekeeping abandons it.
        clock.Advance(TimeSpan.FromHours(2));
        Assert.True(Wait.Until(() => received.ReassembliesTimedOut == 1));
        Assert.Equal(0, g[2].ActiveReassemblies);
        Assert.Equal(0, g[2].ReassemblyBytes);
        Assert.Equal(0, g.Sinks[2].Count);
    }
}
