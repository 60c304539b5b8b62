using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FastRaft.Protocol;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Tcp.Security;

namespace FastRaft.Tests.Tcp;

/// <summary>A hand-driven dialler: does the key handshake on a plain socket, then sends frames or raw bytes as the test says.</summary>
internal sealed class RawKeyedPeer : IDisposable
{
    private RawKeyedPeer(Socket socket, PipeReader input, PipeWriter output, SessionKeys keys)
    {
        Socket = socket;
        Output = output;
        Keys = keys;
        Channel = new AuthenticatedFrameChannel(input, output, new FrameAuthenticator(keys.DialerToListener), new FrameAuthenticator(keys.ListenerToDialer));
    }

    public Socket Socket { get; }

    public PipeWriter Output { get; }

    public SessionKeys Keys { get; }

    public AuthenticatedFrameChannel Channel { get; }

    public static async Task<RawKeyedPeer> ConnectAsync(IPEndPoint at, byte[] key, ulong localId, ulong listenerId)
    {
        Socket socket = await TcpTestPeers.ConnectAsync(at);
        var input = PipeReader.Create(new NetworkStream(socket, ownsSocket: false));
        var output = PipeWriter.Create(new NetworkStream(socket, ownsSocket: false));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        (HandshakeFailure failure, SessionKeys? keys) = await HandshakeExchange.DialAsync(input, output, new DialerHandshake(key, localId, listenerId), cts.Token);
        Assert.Equal(HandshakeFailure.None, failure);
        return new RawKeyedPeer(socket, input, output, keys!);
    }

    public static Message Heartbeat(ulong from, ulong to, ulong commit = 0) => new(MessageType.Heartbeat, from, to, 1) { Commit = commit };

    /// <summary>Sends <paramref name="m"/> as one authenticated frame.</summary>
    public async Task SendAsync(Message m)
    {
        Assert.True(Channel.TryWrite(m));
        Channel.Flush();
        await Channel.Writer.WaitUntilResumedAsync();
    }

    public async Task SendRawAsync(byte[] bytes) => await Socket.SendAsync(bytes);

    public void Dispose() => Socket.Dispose();
}
