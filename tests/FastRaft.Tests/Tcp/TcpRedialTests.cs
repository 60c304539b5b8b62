using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastRaft.Core;
using FastRaft.Protocol;
using FastRaft.Tests.Udp;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Tcp.Security;

namespace FastRaft.Tests.Tcp;

/// <summary>A dialled connection that its listener closes (or half-closes) is redialled at once, without waiting for a send to fail.</summary>
public sealed class TcpRedialTests
{
    private static readonly HashSet<ulong> Dialers = [1];

    /// <summary>The listener's side of one accepted connection, driven by the test.</summary>
    private sealed class AcceptedSide(Socket socket, AuthenticatedFrameChannel channel)
    {
        public Socket Socket => socket;

        public static async Task<AcceptedSide> AcceptAsync(Socket listener, byte[] key)
        {
            Socket socket = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(15));
            var input = PipeReader.Create(new NetworkStream(socket, ownsSocket: false));
            var output = PipeWriter.Create(new NetworkStream(socket, ownsSocket: false));
            var handshake = new ListenerHandshake(key, 2, Dialers);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            (HandshakeFailure failure, SessionKeys? keys) = await HandshakeExchange.AcceptAsync(input, output, handshake, cts.Token);
            Assert.Equal(HandshakeFailure.None, failure);
            return new AcceptedSide(socket, new AuthenticatedFrameChannel(input, output,
                new FrameAuthenticator(keys!.ListenerToDialer), new FrameAuthenticator(keys.DialerToListener)));
        }

        /// <summary>Keeps sending heartbeats from <paramref name="node"/> (this thread as its node thread) until one arrives here; its commit.</summary>
        public async Task<ulong> ReceiveFromAsync(TcpTransport node, ulong commit)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            Task<bool> read = channel.Reader.ReadAsync(cts.Token).AsTask();
            while (!read.IsCompleted)
            {
                node.Send(new Message(MessageType.Heartbeat, 1, 2, 1) { Commit = commit });
                node.Flush();
                await Task.WhenAny(read, Task.Delay(50));
            }
            Assert.True(await read);
            Assert.Equal(ChannelReadStatus.Message, channel.TryReadMessage(new EntryBuffer(), out Message m, out _));
            ulong got = m.Commit;
            channel.Reader.AdvanceToNext();
            return got;
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_dialler_redials_when_the_peer_closes_its_connection(bool halfClose)
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        peer.Listen(4);
        using var node = new TcpTransport(new TcpTransportOptions
        {
            LocalId = 1,
            ListenEndPoint = TcpTestPeers.FreeLoopback(),
            Peers = new Dictionary<ulong, IPEndPoint> { [2] = (IPEndPoint)peer.LocalEndPoint! },
            ClusterKey = key,
        });
        node.StartPumped(new RecordingSink());

        node.Send(new Message(MessageType.Heartbeat, 1, 2, 1)); // dropped; starts the dial
        AcceptedSide first = await AcceptedSide.AcceptAsync(peer, key);
        Assert.Equal(7UL, await first.ReceiveFromAsync(node, 7));
        Assert.Equal(1, node.Counters.Connects);

        if (halfClose)
        {
            first.Socket.Shutdown(SocketShutdown.Send);
        }
        else
        {
            first.Socket.Close();
        }
        // No send is needed for the node to notice and dial again.
        AcceptedSide second = await AcceptedSide.AcceptAsync(peer, key);
        Assert.True(Wait.Until(() => node.Counters.Connects == 2), $"{node.Counters.Connects} connects");
        Assert.Equal(8UL, await second.ReceiveFromAsync(node, 8));
        first.Socket.Dispose();
        second.Socket.Dispose();
    }
}
