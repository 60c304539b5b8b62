using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FastRaft.Transport.Tcp.Security;

namespace FastRaft.Transport.Tcp;

public sealed partial class TcpTransport
{
    /// <summary>
    /// Dials <paramref name="peerId"/> at <paramref name="endPoint"/> and runs the handshake, both
    /// within the handshake deadline; the caller owns the socket and channel it returns. Throws
    /// IOException, SocketException or OperationCanceledException when that fails.
    /// </summary>
    private async Task<(Socket Socket, AuthenticatedFrameChannel Channel)> ConnectAsync(ulong peerId, IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(_options.HandshakeTimeout);
            await socket.ConnectAsync(endPoint, deadline.Token).ConfigureAwait(false);
            (PipeReader input, PipeWriter output) = PipesOf(socket, _options.SendBufferBytes);
            var handshake = new DialerHandshake(_options.ClusterKey, _options.LocalId, peerId);
            (HandshakeFailure failure, SessionKeys? keys) = await HandshakeExchange.DialAsync(input, output, handshake, deadline.Token).ConfigureAwait(false);
            if (failure != HandshakeFailure.None)
            {
                throw new IOException($"peer {peerId} at {endPoint} refused: {failure}");
            }
            var channel = new AuthenticatedFrameChannel(input, output,
                new FrameAuthenticator(keys!.DialerToListener), new FrameAuthenticator(keys.ListenerToDialer), _options.MaxMessageBytes);
            return (socket, channel);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
