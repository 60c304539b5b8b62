using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace FastRaft.Transport.Tcp.Security;

/// <summary>
/// One TCP connection while (and after) it is secured: the socket, the stream over it (a
/// <see cref="NetworkStream"/>, or an <see cref="System.Net.Security.SslStream"/> on it), the pipes
/// over that stream and, once the handshake succeeded, the peer's id and the message channel.
/// <see cref="DisposeAsync"/> releases everything in order (the owner of an outbound connection
/// disposes only the socket, since the node thread may still be writing to its pipe).
/// </summary>
internal sealed class SecuredConnection(Socket socket) : IAsyncDisposable
{
    public Socket Socket { get; } = socket;

    /// <summary>The peer's address, read once (the socket may be disposed when it is logged).</summary>
    public EndPoint? Remote { get; } = TryRemote(socket);

    public Stream? Stream { get; private set; }

    public PipeReader? Input { get; private set; }

    public PipeWriter? Output { get; private set; }

    /// <summary>The peer's node id, known once the handshake succeeded.</summary>
    public ulong PeerId { get; set; }

    /// <summary>The message channel, set once the handshake succeeded.</summary>
    public AuthenticatedFrameChannel? Channel { get; set; }

    /// <summary>The stream to secure: the socket itself (pipes are attached over it by <see cref="AttachPipes(Stream)"/>).</summary>
    public NetworkStream OpenNetworkStream(long sendBufferBytes)
    {
        // Backpressure comes from the kernel: once the socket's send buffer is full, the pipe's
        // flush waits and the channel pauses (the node then drops and reports the peer).
        Socket.SendBufferSize = (int)Math.Min(sendBufferBytes, int.MaxValue);
        var stream = new NetworkStream(Socket, ownsSocket: false);
        Stream = stream;
        return stream;
    }

    /// <summary>Pipes over <paramref name="stream"/> (the network stream, or TLS over it), which the connection now owns.</summary>
    public void AttachPipes(Stream stream)
    {
        Stream = stream;
        Input = PipeReader.Create(stream);
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    /// <summary>
    /// Pipes the owner moves the bytes of itself (the polled mode: the node thread reads the
    /// socket into <paramref name="input"/> and writes out what <paramref name="output"/> gathers),
    /// so the socket is never used asynchronously.
    /// </summary>
    public void AttachPipes(PipeReader input, PipeWriter output)
    {
        Input = input;
        Output = output;
    }

    /// <summary>Pipes over the network stream, unless the owner attached its own.</summary>
    public void EnsurePipes(long sendBufferBytes)
    {
        if (Input is null)
        {
            AttachPipes(OpenNetworkStream(sendBufferBytes));
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The writer first (it leaves the stream open), then the reader (which closes the stream).
        try
        {
            if (Output is not null)
            {
                await Output.CompleteAsync().ConfigureAwait(false);
            }
            if (Input is not null)
            {
                await Input.CompleteAsync().ConfigureAwait(false);
            }
            Stream?.Dispose();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or System.Security.Authentication.AuthenticationException)
        {
            // Closing fails on a broken connection; nothing is left to release but the socket.
        }
        Socket.Dispose();
    }

    private static EndPoint? TryRemote(Socket socket)
    {
        try
        {
            return socket.RemoteEndPoint;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }
}
