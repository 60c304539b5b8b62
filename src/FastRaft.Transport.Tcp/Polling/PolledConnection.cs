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

    /// <summary>Bytes were read into the connection's input pipe.</summary>
    Bytes,

    /// <summary>The peer closed (or half-closed) its side, or the socket failed.</summary>
    Ended,
}

/// <summary>
/// An accepted connection the node thread runs itself (polled mode), from its first byte: the
/// socket is read without blocking into an input pipe and what the connection writes (handshake
/// replies, snapshot answers) gathers in an output pipe the node thread sends from. The
/// handshake and then the frame reader work on those pipes as they would on a network stream's,
/// so the same System.IO.Pipelines code runs — but the socket is never used asynchronously, so
/// no socket-engine thread wakes for it, and nothing hops between threads on the way in.
/// </summary>
internal sealed class PolledConnection : IDisposable
{
    /// <summary>The least free space offered to one receive call.</summary>
    private const int ReceiveChunkBytes = 16 * 1024;

    // Inline schedulers: a flush runs the reader's continuation (the handshake) on the node thread.
    // No pause thresholds: the node thread drains both pipes in the same poll.
    private static readonly PipeOptions Options = new(
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 0,
        useSynchronizationContext: false);

    private readonly Pipe _input = new(Options);
    private readonly Pipe _output = new(Options);

    public PolledConnection(Socket socket, long acceptedAt)
    {
        socket.Blocking = false;
        Connection = new SecuredConnection(socket);
        Connection.AttachPipes(_input.Reader, _output.Writer);
        AcceptedAt = acceptedAt;
        LastActivity = acceptedAt;
    }

    public SecuredConnection Connection { get; }

    public Socket Socket => Connection.Socket;

    /// <summary>The security handshake while it runs (its continuations run inside <see cref="ReceiveAvailable"/>).</summary>
    public Task<Refusal>? Handshake { get; set; }

    /// <summary>Set once the handshake succeeded: a snapshot transfer arriving on this connection.</summary>
    public SnapshotAssembler? Transfer { get; set; }

    public bool IsOpen => Transfer is not null;

    public long AcceptedAt { get; }

    /// <summary>When (node clock) bytes last arrived.</summary>
    public long LastActivity { get; set; }

    /// <summary>When (node clock) the first bytes of the frame still incomplete arrived; 0 when none wait.</summary>
    public long PartialFrameSince { get; set; }

    /// <summary>Bytes of the frame still incomplete after the last read.</summary>
    public long PartialFrameBytes { get; set; }

    /// <summary>A forged sender was logged on this connection already (once per connection).</summary>
    public bool ForgedLogged { get; set; }

    /// <summary>Reads what the socket holds, up to about <paramref name="maxBytes"/>, into the input pipe (never blocks).</summary>
    public SocketRead ReceiveAvailable(int maxBytes)
    {
        int total = 0;
        SocketRead outcome = SocketRead.Nothing;
        while (total < maxBytes)
        {
            Memory<byte> memory = _input.Writer.GetMemory(ReceiveChunkBytes);
            int n;
            SocketError error;
            try
            {
                n = Socket.Receive(memory.Span, SocketFlags.None, out error);
            }
            catch (ObjectDisposedException)
            {
                outcome = SocketRead.Ended;
                break;
            }
            if (error == SocketError.WouldBlock)
            {
                break;
            }
            if (error != SocketError.Success || n == 0)
            {
                outcome = SocketRead.Ended;
                break;
            }
            _input.Writer.Advance(n);
            total += n;
            if (n < memory.Length)
            {
                break; // the socket is drained
            }
        }
        if (total > 0)
        {
            // Completes at once (no pause threshold); a waiting handshake read continues here.
            ValueTask<FlushResult> flush = _input.Writer.FlushAsync();
            if (flush.IsCompletedSuccessfully)
            {
                _ = flush.Result;
            }
            else
            {
                _ = flush.AsTask();
            }
            return outcome == SocketRead.Ended ? SocketRead.Ended : SocketRead.Bytes;
        }
        return outcome;
    }

    /// <summary>
    /// Sends what the connection wrote (without blocking); what the socket does not take now
    /// stays for the next poll. False when the socket failed.
    /// </summary>
    public bool SendPending()
    {
        if (!_output.Reader.TryRead(out ReadResult result))
        {
            return true;
        }
        ReadOnlySequence<byte> buffer = result.Buffer;
        long sent = 0;
        bool ok = true;
        foreach (ReadOnlyMemory<byte> segment in buffer)
        {
            int n;
            SocketError error;
            try
            {
                n = Socket.Send(segment.Span, SocketFlags.None, out error);
            }
            catch (ObjectDisposedException)
            {
                ok = false;
                break;
            }
            if (error == SocketError.WouldBlock)
            {
                break;
            }
            if (error != SocketError.Success)
            {
                ok = false;
                break;
            }
            sent += n;
            if (n < segment.Length)
            {
                break;
            }
        }
        _output.Reader.AdvanceTo(buffer.GetPosition(sent));
        return ok;
    }

    public void Dispose()
    {
        Transfer?.Dispose();
        Connection.Channel?.Dispose();
        // Ends a handshake still waiting for bytes (it sees the stream complete).
        _input.Writer.Complete();
        _output.Reader.Complete();
        _input.Reader.Complete();
        _output.Writer.Complete();
        Socket.Dispose();
    }
}
