using FastRaft.Core;
using FastRaft.Protocol;
using FastRaft.Tests.Codec;
using FastRaft.Transport.Udp;

namespace FastRaft.Tests.Udp;

public class UdpChunkingTests
{
    private static Message SnapshotMessage(int bytes, ulong index = 1000, int seed = 1)
    {
        var data = new byte[bytes];
        new Random(seed).NextBytes(data);
        var snap = new Snapshot(data, new SnapshotMetadata(new ConfState { Voters = [1, 2, 3] }, index, 5));
        return new Message(MessageType.Snapshot, from: 1, to: 2, term: 5) { Snapshot = snap };
    }

    private static UdpTransportOptions Fast(UdpTransportOptions o) =>
        o with { TransferStallTimeout = TimeSpan.FromMilliseconds(300), ReassemblyTimeout = TimeSpan.FromMilliseconds(500) };

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void A_multi_megabyte_snapshot_is_chunked_reassembled_and_reported_finished(UdpMode mode)
    {
        using var g = new UdpGroup(2, mode: mode);
        Message m = SnapshotMessage(4 * 1024 * 1024);
        g[1].Send(in m);
        g[1].Flush();

        Assert.True(g.Sinks[2].WaitFor(1));
        CodecFixtures.AssertSameMessage(m, Assert.Single(g.Sinks[2].Messages()));
        Assert.True(Wait.Until(() => !g.Sinks[1].SnapshotReports.IsEmpty));
        Assert.Equal([(2UL, SnapshotStatus.Finish)], g.Sinks[1].SnapshotReports);

        UdpTransportCounters sent = g[1].Counters, received = g[2].Counters;
        Assert.True(sent.ChunksSent > 60, $"{sent.ChunksSent} chunks");
        // Resends happen only if the receiver is slow to acknowledge (a loaded machine); each is a duplicate.
        Assert.Equal(sent.ChunksSent - sent.ChunksResent, received.ChunksReceived);
        Assert.Equal(1, sent.TransfersCompleted);
        Assert.Equal(1, received.ReassembliesCompleted);
        Assert.Equal(0, received.DroppedTotal);
        Assert.Equal(sent.Dropped(DropReason.StaleAck), sent.DroppedTotal);
        Assert.True(sent.DroppedTotal <= sent.ChunksResent, "only acks of resent duplicates arrive late");
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void With_a_tenth_of_the_chunks_lost_the_lost_ones_are_resent_and_the_snapshot_arrives_whole(UdpMode mode)
    {
        var faults = new UdpFaultInjection { Seed = 5, ChunkLossRate = 0.1 };
        using var g = new UdpGroup(2, o => Fast(o) with { FaultInjection = o.LocalId == 1 ? faults : null }, mode: mode);
        Message m = SnapshotMessage(3 * 1024 * 1024);
        g[1].Send(in m);
        g[1].Flush();

        Assert.True(g.Sinks[2].WaitFor(1));
        CodecFixtures.AssertSameMessage(m, Assert.Single(g.Sinks[2].Messages()));
        Assert.True(Wait.Until(() => !g.Sinks[1].SnapshotReports.IsEmpty));
        Assert.Equal([(2UL, SnapshotStatus.Finish)], g.Sinks[1].SnapshotReports);
        UdpTransportCounters sent = g[1].Counters;
        Assert.True(sent.FaultsInjected > 0);
        Assert.True(sent.ChunksResent >= sent.FaultsInjected, $"{sent.ChunksResent} resent, {sent.FaultsInjected} lost");
        Assert.Equal(0, sent.TransfersFailed);
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void A_transfer_that_cannot_get_through_is_reported_failed_and_a_retry_succeeds(UdpMode mode)
    {
        var faults = new UdpFaultInjection { Seed = 5, ChunkLossRate = 1 };
        using var g = new UdpGroup(2, o => Fast(o) with { FaultInjection = o.LocalId == 1 ? faults : null }, mode: mode);
        Message m = SnapshotMessage(1024 * 1024);
        g[1].Send(in m);
        g[1].Flush();

        Assert.True(Wait.Until(() => !g.Sinks[1].SnapshotReports.IsEmpty));
        Assert.Equal([(2UL, SnapshotStatus.Failure)], g.Sinks[1].SnapshotReports);
        Assert.Equal(1, g[1].Counters.TransfersFailed);
        Assert.Equal(0, g.Sinks[2].Count);

        // The leader retries after its pause; this time most chunks get through.
        faults.ChangeChunkLossRate(0.1);
        g.Sinks[1].SnapshotReports.Clear();
        g[1].Send(in m);
        g[1].Flush();
        Assert.True(g.Sinks[2].WaitFor(1));
        CodecFixtures.AssertSameMessage(m, Assert.Single(g.Sinks[2].Messages()));
        Assert.True(Wait.Until(() => !g.Sinks[1].SnapshotReports.IsEmpty));
        Assert.Equal([(2UL, SnapshotStatus.Finish)], g.Sinks[1].SnapshotReports);
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void A_lost_delivered_ack_is_answered_again_when_a_chunk_is_resent(UdpMode mode)
    {
        // Every ack from the receiver is lost: the sender keeps resending until the stall timeout,
        // and each resent chunk of the delivered message draws a fresh (equally lost) delivered ack.
        using var g = new UdpGroup(2, o => Fast(o) with { FaultInjection = o.LocalId == 2 ? new UdpFaultInjection { LossRate = 1 } : null }, mode: mode);
        Message m = SnapshotMessage(200_000);
        g[1].Send(in m);
        g[1].Flush();

        Assert.True(g.Sinks[2].WaitFor(1));
        // One ack per chunk sent, resent ones included: every resent chunk after delivery was answered.
        Assert.True(Wait.Until(() => g[1].Counters.ChunksResent > 0 && g[2].Counters.FaultsInjected == g[1].Counters.ChunksSent),
            $"acks {g[2].Counters.FaultsInjected} for {g[1].Counters.ChunksSent} chunks ({g[1].Counters.ChunksResent} resent)");
        Assert.Equal(1, g[2].Counters.ReassembliesCompleted);
        Assert.Equal(0, g[2].Counters.DroppedTotal);
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void An_append_larger_than_a_datagram_is_chunked_without_snapshot_reports(UdpMode mode)
    {
        using var g = new UdpGroup(2, o => o with { MaxDatagramSize = 1400 }, mode: mode);
        Message app = CodecFixtures.App(entries: 300, payloadSize: 100);
        app.Commit = 5;
        g[1].Send(CodecFixtures.Heartbeat() with { Term = 6 });
        g[1].Send(in app);
        g[1].Send(CodecFixtures.Heartbeat() with { Term = 8 });
        g[1].Flush();

        Assert.True(g.Sinks[2].WaitFor(3));
        List<Message> got = g.Sinks[2].Messages();
        CodecFixtures.AssertSameMessage(app, got.Single(m => m.Type == MessageType.Append));
        Assert.True(g[1].Counters.ChunksSent > 20);
        Assert.True(Wait.Until(() => g[1].Counters.TransfersCompleted == 1));
        Assert.Empty(g.Sinks[1].SnapshotReports);
        Assert.Equal(0, g[2].Counters.DroppedTotal);
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void A_transfer_the_receiver_has_no_room_for_is_refused_and_reported_at_once(UdpMode mode)
    {
        // The receiver starts late, so both transfers' first windows are waiting in its socket
        // buffer: the first takes the only reassembly slot, the second is refused.
        using var g = new UdpGroup(2, o => o with
        {
            MaxConcurrentReassemblies = 1,
            TransferStallTimeout = TimeSpan.FromSeconds(30), // a failure seen must come from the refusal
        }, start: false, mode: mode);
        g.Start(1);
        Message first = SnapshotMessage(2 * 1024 * 1024, index: 10);
        Message second = SnapshotMessage(1024 * 1024, index: 20) with { To = 2 };
        g[1].Send(in first);
        g[1].Send(in second);
        g[1].Flush();
        g.Start(2);

        Assert.True(Wait.Until(() => g.Sinks[1].SnapshotReports.Count == 2));
        Assert.Equal([(2UL, SnapshotStatus.Failure), (2UL, SnapshotStatus.Finish)], g.Sinks[1].SnapshotReports);
        Assert.Equal(10UL, Assert.Single(g.Sinks[2].Messages()).Snapshot!.Metadata.Index);
        Assert.True(g[2].Counters.Dropped(DropReason.ReassemblyLimit) >= 1);
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void A_message_larger_than_the_receiver_accepts_is_refused_and_a_snapshot_reported_failed(UdpMode mode)
    {
        using var g = new UdpGroup(2, o => o with { MaxMessageSize = o.LocalId == 2 ? 1024 * 1024 : 64 * 1024 * 1024, TransferStallTimeout = TimeSpan.FromSeconds(30) }, mode: mode);
        g[1].Send(SnapshotMessage(2 * 1024 * 1024));
        g[1].Flush();
        Assert.True(Wait.Until(() => !g.Sinks[1].SnapshotReports.IsEmpty));
        Assert.Equal([(2UL, SnapshotStatus.Failure)], g.Sinks[1].SnapshotReports);
        Assert.Equal(0, g.Sinks[2].Count);
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void A_message_larger_than_the_sender_allows_is_dropped_and_a_snapshot_reported_failed(UdpMode mode)
    {
        using var g = new UdpGroup(2, o => o with { MaxMessageSize = 100_000 }, mode: mode);
        g[1].Send(SnapshotMessage(200_000));
        Assert.Equal(1, g[1].Counters.Dropped(DropReason.MessageTooLarge));
        Assert.Equal([(2UL, SnapshotStatus.Failure)], g.Sinks[1].SnapshotReports);
        Assert.Equal(0, g[1].Counters.DatagramsSent);
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void Too_many_transfers_at_once_are_refused_by_the_sender(UdpMode mode)
    {
        using var g = new UdpGroup(2, o => o with { MaxConcurrentTransfers = 1 }, start: false, mode: mode);
        g.Start(1); // the receiver is not reading yet: the first transfer cannot finish
        g[1].Send(SnapshotMessage(1024 * 1024));
        g[1].Send(SnapshotMessage(1024 * 1024));
        Assert.Equal(1, g[1].Counters.Dropped(DropReason.TransferLimit));
        Assert.Equal([(2UL, SnapshotStatus.Failure)], g.Sinks[1].SnapshotReports);
        g.Start(2);
        Assert.True(g.Sinks[2].WaitFor(1));
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void A_snapshot_sent_while_the_receiver_is_silent_fails_after_the_stall_timeout(UdpMode mode)
    {
        using var g = new UdpGroup(2, Fast, start: false, mode: mode);
        g.Start(1); // node 2 never reads: no acknowledgement comes
        g[1].Send(SnapshotMessage(1024 * 1024));
        Assert.True(Wait.Until(() => !g.Sinks[1].SnapshotReports.IsEmpty));
        Assert.Equal([(2UL, SnapshotStatus.Failure)], g.Sinks[1].SnapshotReports);
        // The first window, then resends of it backing off (after 50, 100, 200 ms... within the
        // 300 ms stall timeout): the sender does not flood a silent peer.
        const int Window = 256 * 1024 / 59_000;
        Assert.True(g[1].Counters.ChunksSent <= Window * 5, $"{g[1].Counters.ChunksSent} chunks");
        Assert.True(g[1].Counters.ChunksResent > 0);
    }
}
