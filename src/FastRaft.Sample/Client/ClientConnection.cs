using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using FastRaft.Codec.Framing;
using FastRaft.Sample.Protocol;

namespace FastRaft.Sample.Client;

/// <summary>
/// A client's connection to a node's gateway: requests go out framed
/// (<see cref="FrameFormat"/>: one <see cref="ClientProtocol"/> request per frame), batched in a
/// send buffer until <see cref="Flush"/>; replies are cut out of the receive buffer in place. Used
/// from one thread at a time (the order client's loop, a membership or query exchange; a load
/// tester drives one per connection). A closed connection stays closed: make a new one.
/// </summary>
public sealed class ClientConnection : IDisposable
{
    /// <summary>Bytes a reply frame may announce at most (a larger one closes the connection: not our node).</summary>
    public const int MaxReplyBytes = ClientProtocol.MaxMessageSize;

    private readonly Socket _socket;
    private readonly byte[] _receive = new byte[4 * (MaxReplyBytes + FrameFormat.HeaderSize)];
    private readonly ArrayBufferWriter<byte> _send = new(4096);
    private int _end;
    private int _consumed;

    private ClientConnection(Socket socket, IPEndPoint remote)
    {
        _socket = socket;
        Remote = remote;
    }

    /// <summary>The node's gateway address.</summary>
    public IPEndPoint Remote { get; }

    /// <summary>The node closed the connection, it failed, or the node sent something that is not a reply frame.</summary>
    public bool IsClosed { get; private set; }

    /// <summary>Bytes queued and not yet sent.</summary>
    public int PendingBytes => _send.WrittenCount;

    /// <summary>Connects to <paramref name="node"/>'s gateway within <paramref name="timeout"/>; null when it cannot be reached.</summary>
    public static ClientConnection? TryConnect(IPEndPoint node, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(node);
        var socket = new Socket(node.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var cancel = new CancellationTokenSource(timeout);
            socket.ConnectAsync(node, cancel.Token).AsTask().GetAwaiter().GetResult();
            return new ClientConnection(socket, node);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>Queues one request (a whole <see cref="ClientProtocol"/> message) as a frame; sent on <see cref="Flush"/>.</summary>
    public void Queue(ReadOnlySpan<byte> request) => FrameWriter.WriteFrame(_send, request);

    /// <summary>Sends what was queued (blocking until the socket takes it); false when the connection is closed.</summary>
    public bool Flush()
    {
        if (IsClosed)
        {
            _send.ResetWrittenCount();
            return false;
        }
        try
        {
            ReadOnlySpan<byte> data = _send.WrittenSpan;
            while (!data.IsEmpty)
            {
                int n = _socket.Send(data);
                data = data[n..];
            }
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            IsClosed = true;
            return false;
        }
        finally
        {
            _send.ResetWrittenCount();
        }
    }

    /// <summary>Shuts down the sending side (the gateway answers what is outstanding, then closes).</summary>
    public void ShutdownSend()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            IsClosed = true;
        }
    }

    /// <summary>
    /// The next reply frame's payload, waiting up to <paramref name="waitMicros"/> for bytes when
    /// none is buffered (0: only what has arrived). The payload is valid until the next call.
    /// False when none arrived in time or the connection closed (see <see cref="IsClosed"/>).
    /// </summary>
    public bool TryReceive(int waitMicros, out ReadOnlyMemory<byte> payload)
    {
        if (TryCut(out payload))
        {
            return true;
        }
        if (IsClosed || !Fill(waitMicros))
        {
            return false;
        }
        return TryCut(out payload);
    }

    /// <summary>Whether bytes can be read now or within <paramref name="waitMicros"/> (or the connection closed).</summary>
    public bool Poll(int waitMicros)
    {
        try
        {
            return _consumed < _end || _socket.Poll(waitMicros, SelectMode.SelectRead);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            IsClosed = true;
            return true;
        }
    }

    public void Dispose()
    {
        IsClosed = true;
        _socket.Dispose();
    }

    private bool TryCut(out ReadOnlyMemory<byte> payload)
    {
        payload = default;
        int available = _end - _consumed;
        if (available < FrameFormat.HeaderSize)
        {
            return false;
        }
        ReadOnlySpan<byte> header = _receive.AsSpan(_consumed, FrameFormat.HeaderSize);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header[FrameFormat.LengthOffset..]);
        if (header[0] != FrameFormat.Marker || length > MaxReplyBytes)
        {
            Dispose();
            return false;
        }
        if (available < FrameFormat.HeaderSize + (int)length)
        {
            return false;
        }
        payload = _receive.AsMemory(_consumed + FrameFormat.HeaderSize, (int)length);
        _consumed += FrameFormat.HeaderSize + (int)length;
        return true;
    }

    /// <summary>Reads what the socket has (waiting up to <paramref name="waitMicros"/>); false when nothing came.</summary>
    private bool Fill(int waitMicros)
    {
        if (_consumed > 0 && _consumed == _end)
        {
            _consumed = _end = 0;
        }
        else if (_end == _receive.Length)
        {
            // Room for more: move the partial frame to the front.
            Buffer.BlockCopy(_receive, _consumed, _receive, 0, _end - _consumed);
            _end -= _consumed;
            _consumed = 0;
        }
        try
        {
            if (!_socket.Poll(waitMicros, SelectMode.SelectRead))
            {
                return false;
            }
            int n = _socket.Receive(_receive, _end, _receive.Length - _end, SocketFlags.None, out SocketError error);
            if (n == 0 || error != SocketError.Success)
            {
                if (error is not (SocketError.WouldBlock or SocketError.TryAgain))
                {
                    IsClosed = true;
                }
                return false;
            }
            _end += n;
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            IsClosed = true;
            return false;
        }
    }
}
