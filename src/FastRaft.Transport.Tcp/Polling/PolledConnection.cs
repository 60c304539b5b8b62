using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using FastRaft.Transport.Tcp.Security;
using FastRaft.Transport.Tcp.Snapshots;

namespace FastRaft.Transport.Tcp.Polling;

/// <summary>What <see cref="PolledConnection.ReceiveAvailable"/> found on the socket.</summary>
internal enum SocketRead
{
    /// <summary>Nothing waiting.</summary>
    Nothing,

    /// <summary>Bytes were read into the connection's pipe.</summary>
    Bytes,

    /// <summary>The peer closed (or half-closed) its side, or the socket failed: close the connection.</summary>
    Ended,
}

/// <summary>
/// An inbound connection read by the node thread (polled mode): after its handshake the socket
/// is read without blocking straight into a pipe of its own, and the usual frame reader cuts
/// frames from that pipe in place — the same System.IO.Pipelines loop as a receive task, minus
/// the thread hops (no socket engine thread, no thread pool, no queue to the node thread).
/// </summary>
internal sealed class PolledConnection : IDisposable
{
    /// <summary>The least free space offered to one receive call.</summary>
    private const int ReceiveChunkBytes = 16 * 1024;

    private readonly Pipe _pipe = new(new PipeOptions(
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        // The node thread parses what it reads in the same poll; the frame bound limits what stays.
        pauseWriterThreshold: 0,
        useSynchronizationContext: false));

    private readonly PipeReader _handshakeInput;
    private readonly PipeWriter _output;

    /// <summary>
    /// Takes over a connection whose handshake ran on <paramref name="handshakeInput"/>: bytes that
    /// reader already buffered move into this connection's pipe, and from here on the socket is
    /// read directly, without blocking. Replies (snapshot answers) still go out through <paramref name="output"/>.
    /// </summary>
    public PolledConnection(Socket socket, PipeReader handshakeInput, PipeWriter output, ulong peer,
        SessionKeys keys, int maxMessageBytes, SnapshotAssembler transfer)
    {
        Socket = socket;
        Peer = peer;
        Transfer = transfer;
        _handshakeInput = handshakeInput;
        _output = output;
        if (handshakeInput.TryRead(out ReadResult left))
        {
            foreach (ReadOnlyMemory<byte> segment in left.Buffer)
            {
                _pipe.Writer.Write(segment.Span);
            }
            handshakeInput.AdvanceTo(left.Buffer.End);
            _ = _pipe.Writer.FlushAsync();
        }
        socket.Blocking = false;
        Channel = new AuthenticatedFrameChannel(_pipe.Reader, output,
            new FrameAuthenticator(keys.ListenerToDialer), new FrameAuthenticator(keys.DialerToListener), maxMessageBytes);
    }

    public Socket Socket { get; }

    public ulong Peer { get; }

    public AuthenticatedFrameChannel Channel { get; }

    /// <summary>A snapshot transfer arriving on this connection, if any.</summary>
    public SnapshotAssembler Transfer { get; }

    /// <summary>When (node clock) bytes last arrived.</summary>
    public long LastActivity { get; set; }

    /// <summary>Reads what the socket holds, up to about <paramref name="maxBytes"/>, into the pipe (node thread, never blocks).</summary>
    public SocketRead ReceiveAvailable(int maxBytes)
    {
        int total = 0;
        while (total < maxBytes)
        {
            Memory<byte> memory = _pipe.Writer.GetMemory(ReceiveChunkBytes);
            int n;
            SocketError error;
            try
            {
                n = Socket.Receive(memory.Span, SocketFlags.None, out error);
            }
            catch (ObjectDisposedException)
            {
                return SocketRead.Ended;
            }
            if (error == SocketError.WouldBlock)
            {
                break;
            }
            if (error != SocketError.Success || n == 0)
            {
                return SocketRead.Ended;
            }
            _pipe.Writer.Advance(n);
            total += n;
            if (n < memory.Length)
            {
                break; // the socket is drained
            }
        }
        if (total == 0)
        {
            return SocketRead.Nothing;
        }
        // No pause threshold and inline schedulers: the flush completes at once.
        _ = _pipe.Writer.FlushAsync();
        return SocketRead.Bytes;
    }

    public void Dispose()
    {
        Transfer.Dispose();
        Channel.Dispose();
        _pipe.Writer.Complete();
        _pipe.Reader.Complete();
        _handshakeInput.Complete();
        _output.Complete();
        Socket.Dispose();
    }
}
