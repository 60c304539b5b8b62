using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastRaft.Codec.Framing;
using FastRaft.Core;
using FastRaft.Protocol;
using FastRaft.Tests.Udp;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Tcp.Security;
using FastRaft.Transport.Tcp.Snapshots;

namespace FastRaft.Tests.Tcp;

/// <summary>Snapshots between two TCP transports: streamed in pieces on a connection of their own, reported only once answered.</summary>
public class TcpSnapshotTransferTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private sealed class Pair : IDisposable
    {
        public readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
        public readonly RecordingSink SenderSink = new();
        public readonly RecordingSink ReceiverSink = new();
        public readonly TcpTransport Sender;
        public readonly TcpTransport Receiver;
        private readonly PollPump? _pump;

        public Pair(bool polled, long maxSnapshotBytes = 512L << 20, TimeSpan? idle = null)
        {
            Receiver = new TcpTransport(new TcpTransportOptions
            {
                LocalId = 2,
                ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
                Peers = new Dictionary<ulong, IPEndPoint> { [1] = new IPEndPoint(IPAddress.Loopback, 9) },
                ClusterKey = Key,
                MaxMessageBytes = 256 * 1024,
                MaxSnapshotBytes = maxSnapshotBytes,
                SnapshotIdleTimeout = idle ?? TimeSpan.FromSeconds(10),
                ReceiveTasks = !polled,
            });
            Receiver.Start(ReceiverSink);
            // Polled: a thread stands in for the node's duty cycle.
            _pump = polled ? new PollPump(Receiver, TimeProvider.System, TimeSpan.FromMilliseconds(50)) : null;
            Sender = new TcpTransport(new TcpTransportOptions
            {
                LocalId = 1,
                ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
                Peers = new Dictionary<ulong, IPEndPoint> { [2] = Receiver.LocalEndPoint! },
                ClusterKey = Key,
                MaxMessageBytes = 256 * 1024,
            });
            Sender.Start(SenderSink);
        }

        public void Dispose()
        {
            _pump?.Dispose();
            Sender.Dispose();
            Receiver.Dispose();
        }
    }

    private static Message Snap(byte[] data, ulong index = 500) => new()
    {
        Type = MessageType.Snapshot,
        From = 1,
        To = 2,
        Term = 3,
        GroupId = 42, // the group id rides in the transfer header's message
        Snapshot = new Snapshot(data, new SnapshotMetadata(new ConfState { Voters = [1, 2] }, index, 3)),
    };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_snapshot_forty_times_the_frame_bound_arrives_whole_and_is_reported_finished(bool polled)
    {
        using var pair = new Pair(polled);
        byte[] data = RandomNumberGenerator.GetBytes(10 * 1024 * 1024 + 123);
        pair.Sender.Send(Snap(data));
        pair.Sender.Flush();

        Assert.True(Wait.Until(() => pair.SenderSink.SnapshotReports.Count == 1, Timeout));
        Assert.Equal((2UL, SnapshotStatus.Finish), pair.SenderSink.SnapshotReports.Single());
        Message received = Assert.Single(pair.ReceiverSink.Messages());
        Assert.Equal(MessageType.Snapshot, received.Type);
        Assert.Equal(42UL, received.GroupId);
        Assert.Equal(Snap(data).Snapshot, received.Snapshot);
        Assert.Equal((1L, 0L), (pair.Sender.Counters.SnapshotsSent, pair.Sender.Counters.SnapshotsFailed));
        Assert.Equal((1L, 0L), (pair.Receiver.Counters.SnapshotsReceived, pair.Receiver.Counters.SnapshotsRefused));
        Assert.Empty(pair.SenderSink.Unreachable);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Heartbeats_keep_flowing_on_the_message_connection_while_a_snapshot_streams(bool polled)
    {
        using var pair = new Pair(polled);
        // The message connection is dialled by the first message sent (which it drops).
        Assert.True(Wait.Until(() =>
        {
            pair.Sender.Send(new Message { Type = MessageType.Heartbeat, From = 1, To = 2, Term = 3 });
            pair.Sender.Flush();
            return pair.ReceiverSink.Count > 0;
        }, Timeout));
        pair.Sender.Send(Snap(RandomNumberGenerator.GetBytes(32 * 1024 * 1024)));
        for (int i = 0; i < 50; i++)
        {
            pair.Sender.Send(new Message { Type = MessageType.Heartbeat, From = 1, To = 2, Term = 4 });
            pair.Sender.Flush();
            Thread.Sleep(2);
        }
        Assert.True(Wait.Until(() => pair.SenderSink.SnapshotReports.Count == 1, Timeout));
        Assert.Equal(SnapshotStatus.Finish, pair.SenderSink.SnapshotReports.Single().Status);
        Assert.True(Wait.Until(() => pair.ReceiverSink.Messages().Count(m => m.Term == 4) == 50, Timeout));
        Assert.Single(pair.ReceiverSink.Messages(), m => m.Type == MessageType.Snapshot);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_snapshot_above_the_receivers_limit_is_refused_and_reported_failed(bool polled)
    {
        using var pair = new Pair(polled, maxSnapshotBytes: 1024 * 1024);
        pair.Sender.Send(Snap(new byte[2 * 1024 * 1024]));
        pair.Sender.Flush();

        Assert.True(Wait.Until(() => pair.SenderSink.SnapshotReports.Count == 1, Timeout));
        Assert.Equal((2UL, SnapshotStatus.Failure), pair.SenderSink.SnapshotReports.Single());
        Assert.Contains(2UL, pair.SenderSink.Unreachable);
        Assert.Equal(1, pair.Receiver.Counters.SnapshotsRefused);
        Assert.Empty(pair.ReceiverSink.Messages());

        // Refusing one transfer does not break the peer: a snapshot within the limit still goes through.
        pair.Sender.Send(Snap(new byte[512 * 1024]));
        Assert.True(Wait.Until(() => pair.SenderSink.SnapshotReports.Count == 2, Timeout));
        Assert.Equal(SnapshotStatus.Finish, pair.SenderSink.SnapshotReports.Last().Status);
        Assert.Single(pair.ReceiverSink.Messages());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_snapshot_the_node_does_not_take_is_reported_failed(bool polled)
    {
        using var pair = new Pair(polled);
        pair.ReceiverSink.Refuse = true;
        pair.Sender.Send(Snap(new byte[300_000]));
        Assert.True(Wait.Until(() => pair.SenderSink.SnapshotReports.Count == 1, Timeout));
        Assert.Equal(SnapshotStatus.Failure, pair.SenderSink.SnapshotReports.Single().Status);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_snapshot_to_a_peer_nobody_listens_for_is_reported_failed(bool polled)
    {
        using var pair = new Pair(polled);
        pair.Receiver.Dispose();
        pair.Sender.Send(Snap(new byte[1000]));
        Assert.True(Wait.Until(() => pair.SenderSink.SnapshotReports.Count == 1, Timeout));
        Assert.Equal((2UL, SnapshotStatus.Failure), pair.SenderSink.SnapshotReports.Single());
        Assert.Equal(1, pair.Sender.Counters.SnapshotsFailed);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_transfer_that_stalls_is_closed_after_the_idle_timeout_and_its_budget_freed(bool polled)
    {
        using var pair = new Pair(polled, maxSnapshotBytes: 8 * 1024 * 1024, idle: TimeSpan.FromMilliseconds(300));
        // A member (it has the key) that announces a large snapshot, sends one piece and stops.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(pair.Receiver.LocalEndPoint!);
        var stream = new NetworkStream(socket);
        PipeReader input = PipeReader.Create(stream);
        PipeWriter output = PipeWriter.Create(stream);
        var handshake = new DialerHandshake(pair.Key, 1, 2);
        (HandshakeFailure failure, SessionKeys? keys) = await HandshakeExchange.DialAsync(input, output, handshake, CancellationToken.None);
        Assert.Equal(HandshakeFailure.None, failure);
        using var channel = new AuthenticatedFrameChannel(input, output,
            new FrameAuthenticator(keys!.DialerToListener), new FrameAuthenticator(keys.ListenerToDialer));
        using OutgoingSnapshot outgoing = OutgoingSnapshot.Copy(Snap(new byte[8 * 1024 * 1024]));
        Assert.True(channel.TryWriteFrame(outgoing.Header));
        Assert.True(channel.TryWriteFrame(outgoing.Piece(0)));
        channel.Flush();

        // Nothing more comes: the receiver gives up, counts it, and closes the connection.
        Assert.True(Wait.Until(() => pair.Receiver.Counters.SnapshotsRefused == 1, Timeout));
        byte[] rest = new byte[64];
        Assert.Equal(0, await socket.ReceiveAsync(rest).WaitAsync(Timeout));

        // The budget was returned: a full-size snapshot from the real sender still fits.
        pair.Sender.Send(Snap(new byte[8 * 1024 * 1024]));
        Assert.True(Wait.Until(() => pair.SenderSink.SnapshotReports.Count == 1, Timeout));
        Assert.Equal(SnapshotStatus.Finish, pair.SenderSink.SnapshotReports.Single().Status);
    }
}
