using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using FastRaft.Transport.Tcp.Security;

namespace FastRaft.Transport.Tcp;

/// <summary>What <see cref="TcpTransport"/>'s dial produced: a secured connection, or why there is none.</summary>
internal readonly record struct DialResult(SecuredConnection? Connection, Refusal Refusal)
{
    public bool Succeeded => Connection is not null;
}

public sealed partial class TcpTransport
{
    /// <summary>
    /// Connects to <paramref name="peerId"/> at <paramref name="endPoint"/> and secures the
    /// connection (key handshake, TLS or plain hello), both within the handshake deadline. On
    /// success the caller owns the connection; otherwise the socket is closed and the result says
    /// why (a <see cref="TcpRefusalReason.None"/> reason: the peer could not be reached at all).
    /// Throws OperationCanceledException only when the transport stops.
    /// </summary>
    private async Task<DialResult> DialSecuredAsync(ulong peerId, IPEndPoint endPoint, CancellationToken stopping)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SecuredConnection? connection = null;
        bool connected = false;
        Refusal refusal;
        try
        {
            using var deadline = new ClockedCancellation(_options.Time, stopping);
            deadline.CancelAfter(_options.HandshakeTimeout);
            await socket.ConnectAsync(endPoint, deadline.Token).ConfigureAwait(false);
            connected = true;
            connection = new SecuredConnection(socket);
            refusal = await _security.DialAsync(connection, peerId, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            refusal = new(TcpRefusalReason.HandshakeTimeout, connected
                ? $"the handshake did not complete within {_options.HandshakeTimeout.TotalMilliseconds} ms"
                : $"no connection within {_options.HandshakeTimeout.TotalMilliseconds} ms");
        }
        catch (OperationCanceledException)
        {
            await DisposeQuietlyAsync(connection, socket).ConfigureAwait(false);
            throw;
        }
        catch (SocketException e) when (!connected)
        {
            refusal = new(TcpRefusalReason.None, $"cannot connect: {e.SocketErrorCode}");
        }
        catch (AuthenticationException e)
        {
            refusal = new(TcpRefusalReason.TlsHandshakeFailed, e.Message);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            refusal = new(TcpRefusalReason.NotAHandshake, $"the connection closed during the handshake (the peer may have refused this node): {e.Message}");
        }
        if (connected && !refusal.IsRefused)
        {
            return new DialResult(connection, Refusal.None);
        }
        await DisposeQuietlyAsync(connection, socket).ConfigureAwait(false);
        return new DialResult(null, refusal);
    }

    private static async ValueTask DisposeQuietlyAsync(SecuredConnection? connection, Socket socket)
    {
        if (connection is null)
        {
            socket.Dispose();
            return;
        }
        connection.Channel?.Dispose();
        await connection.DisposeAsync().ConfigureAwait(false);
    }
}
