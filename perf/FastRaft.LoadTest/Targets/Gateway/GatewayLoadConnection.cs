using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using FastRaft.Codec.Framing;
using FastRaft.Sample.Matching;
using FastRaft.Sample.Protocol;
using MessagePack;

namespace FastRaft.LoadTest.Targets.Gateway;

/// <summary>
/// One TCP connection of the gateway load client, with one client id of its own. Requests are
/// framed into a send buffer under a short lock (sequence numbers are taken in the order the
/// bytes go out, so the engine sees each client's commands in order); replies are read by one
/// long-lived async receive loop (no thread of its own: the socket engine wakes it) that cuts
/// frames in place from a reused buffer and completes each request inline. A request made while
/// this connection delivers replies (a closed-loop client proposing again from its continuation)
/// stays on this connection and waits in the buffer: the loop sends all of them with one send
/// after the batch. Any other request is sent at once. Nothing is allocated per request.
/// </summary>
internal sealed class GatewayLoadConnection : IDisposable
{
    /// <summary>Room for a few of the largest reply frames.</summary>
    private const int ReceiveBufferBytes = 4 * (ClientProtocol.MaxMessageSize + FrameFormat.HeaderSize);

    /// <summary>The connection delivering replies on this thread now (requests made meanwhile go to it and wait for its flush).</summary>
    [ThreadStatic]
    private static GatewayLoadConnection? t_delivering;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_command;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_request;

    private readonly Socket _socket;
    private readonly IReadOnlyList<Instrument> _instruments;
    private readonly Lock _gate = new();
    private readonly ArrayBufferWriter<byte> _send = new(4096);
    private readonly Stack<GatewayRequest> _free = new();
    private readonly byte[] _receive = new byte[ReceiveBufferBytes];
    private GatewayRequest[] _table = new GatewayRequest[8];
    private int _tableCount;
    private ulong _sequence;
    private bool _closed;
    private Task _receiving = Task.CompletedTask;

    private static int s_live;

    private GatewayLoadConnection(Socket socket, ulong clientId, IReadOnlyList<Instrument> instruments)
    {
        _socket = socket;
        ClientId = clientId;
        _instruments = instruments;
    }

    /// <summary>The client id every command of this connection carries.</summary>
    public ulong ClientId { get; }

    /// <summary>What this connection did (written by its own loops, read racily for reports).</summary>
    public GatewayLoadCounters Counters { get; } = new();

    /// <summary>The connection is closed (by us, the gateway, or an error).</summary>
    public bool IsClosed => Volatile.Read(ref _closed);

    /// <summary>Ends when the receive loop ends (the connection closed); every request left is failed by then.</summary>
    public Task Receiving => _receiving;

    /// <summary>Connections of this process whose receive loop has not ended yet (all targets): 0 once every target is disposed.</summary>
    public static int Live => Volatile.Read(ref s_live);

    /// <summary>The connection this thread is delivering replies for now, if any.</summary>
    public static GatewayLoadConnection? Delivering => t_delivering;

    /// <summary>Connects to <paramref name="gateway"/> and starts reading replies.</summary>
    public static async Task<GatewayLoadConnection> ConnectAsync(IPEndPoint gateway, ulong clientId, IReadOnlyList<Instrument> instruments, CancellationToken cancellation)
    {
        var socket = new Socket(gateway.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(gateway, cancellation).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var connection = new GatewayLoadConnection(socket, clientId, instruments);
        Interlocked.Increment(ref s_live);
        connection._receiving = connection.ReceiveLoopAsync();
        return connection;
    }

    /// <summary>Sends this connection's next order; completes with the reply's outcome (an error at once when the connection is closed).</summary>
    public ValueTask<ProposalOutcome> SubmitAsync()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return new ValueTask<ProposalOutcome>(ProposalOutcome.Error);
            }
            GatewayRequest request = _free.Count > 0 ? _free.Pop() : NewRequest();
            request.Arm();
            ValueTask<ProposalOutcome> task = request.Task;
            Encode(request.RequestId, ++_sequence);
            Counters.Requests++;
            if (t_delivering != this)
            {
                FlushLocked();
            }
            return task;
        }
    }

    /// <summary>Gives a request whose result was read back to the free list.</summary>
    public void Return(GatewayRequest request)
    {
        lock (_gate)
        {
            _free.Push(request);
        }
    }

    /// <summary>Closes the socket; the receive loop then fails what is outstanding.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _closed = true;
        }
        _socket.Dispose();
    }

    private GatewayRequest NewRequest()
    {
        if (_tableCount == _table.Length)
        {
            var grown = new GatewayRequest[_table.Length * 2];
            Array.Copy(_table, grown, _tableCount);
            // Published before any request in it is sent, so the receive loop finds every id it can get.
            Volatile.Write(ref _table, grown);
        }
        var request = new GatewayRequest(this, _tableCount);
        _table[_tableCount++] = request;
        return request;
    }

    private void Encode(ulong requestId, ulong sequence)
    {
        OrderCommand order = GatewayOrders.For(ClientId, sequence, _instruments);
        ArrayBufferWriter<byte> command = t_command ??= new ArrayBufferWriter<byte>(CommandCodec.MaxEncodedSize);
        command.ResetWrittenCount();
        CommandCodec.Encode(in order, command);
        ArrayBufferWriter<byte> request = t_request ??= new ArrayBufferWriter<byte>(2 * CommandCodec.MaxEncodedSize);
        request.ResetWrittenCount();
        ClientProtocol.WriteSubmit(request, requestId, command.WrittenSpan);
        FrameWriter.WriteFrame(_send, request.WrittenSpan);
    }

    /// <summary>Sends what is buffered (under the lock; the socket takes it at once: the gateway bounds what is unanswered).</summary>
    private void FlushLocked()
    {
        if (_send.WrittenCount == 0)
        {
            return;
        }
        try
        {
            ReadOnlySpan<byte> data = _send.WrittenSpan;
            Counters.BytesSent += data.Length;
            Counters.Sends++;
            while (!data.IsEmpty)
            {
                data = data[_socket.Send(data)..];
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The receive loop sees the closed socket and fails what is outstanding.
            _closed = true;
            _socket.Dispose();
        }
        finally
        {
            _send.ResetWrittenCount();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        int end = 0;
        try
        {
            while (true)
            {
                int n = await _socket.ReceiveAsync(_receive.AsMemory(end), SocketFlags.None).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }
                Counters.Receives++;
                Counters.BytesReceived += n;
                end += n;
                int consumed = DeliverAll(end);
                if (consumed < 0)
                {
                    Counters.BadReplies++;
                    break;
                }
                end -= consumed;
                if (end > 0 && consumed > 0)
                {
                    Buffer.BlockCopy(_receive, consumed, _receive, 0, end);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Closed: by Dispose, by the gateway, or by a failed send.
        }
        FailOutstanding();
        Interlocked.Decrement(ref s_live);
    }

    /// <summary>Completes every whole reply frame in the buffer's first <paramref name="end"/> bytes, then sends what their continuations queued; the bytes used, or -1 for a stream that is not replies.</summary>
    private int DeliverAll(int end)
    {
        int offset = 0;
        t_delivering = this;
        try
        {
            while (end - offset >= FrameFormat.HeaderSize)
            {
                uint length = BinaryPrimitives.ReadUInt32BigEndian(_receive.AsSpan(offset + FrameFormat.LengthOffset));
                if (_receive[offset] != FrameFormat.Marker || length > ClientProtocol.MaxMessageSize)
                {
                    return -1;
                }
                int frame = FrameFormat.HeaderSize + (int)length;
                if (end - offset < frame)
                {
                    break;
                }
                if (!Deliver(_receive.AsMemory(offset + FrameFormat.HeaderSize, (int)length)))
                {
                    return -1;
                }
                offset += frame;
            }
        }
        finally
        {
            t_delivering = null;
        }
        lock (_gate)
        {
            FlushLocked();
        }
        return offset;
    }

    /// <summary>Completes the request one reply answers; false when it is not a submit reply.</summary>
    private bool Deliver(ReadOnlyMemory<byte> payload)
    {
        var reader = new MessagePackReader(payload);
        if (!ClientProtocol.TryReadReplyHeader(ref reader, out byte kind, out ulong requestId, out int fields)
            || kind != ClientProtocol.KindSubmit
            || !ClientProtocol.TryReadSubmitReply(ref reader, requestId, fields, out SubmitReply reply))
        {
            return false;
        }
        Counters.Replies++;
        GatewayRequest[] table = Volatile.Read(ref _table);
        uint index = (uint)requestId;
        if (index >= (uint)table.Length || table[index] is not { } request || request.RequestId != requestId)
        {
            Counters.Unmatched++;
            return true;
        }
        if (!request.TryComplete(Classify(in reply)))
        {
            Counters.Unmatched++;
        }
        return true;
    }

    /// <summary>What a reply means for the load: committed only for an order the engine took as new; every other answer counted by kind.</summary>
    private ProposalOutcome Classify(in SubmitReply reply)
    {
        switch (reply.Status)
        {
            case SubmitStatus.Ok:
                CommandResult result = reply.Result;
                if (result.Code == ResultCode.Accepted && !result.Duplicate)
                {
                    Counters.Accepted++;
                    return ProposalOutcome.Committed;
                }
                if (result.Code == ResultCode.Rejected)
                {
                    Counters.EngineRejected++;
                }
                else
                {
                    // Stale or duplicate: the client id/sequence scheme is broken.
                    Counters.EngineStaleOrDuplicate++;
                }
                return ProposalOutcome.Error;
            case SubmitStatus.NotLeader:
                Counters.NotLeader++;
                return ProposalOutcome.NotLeader;
            case SubmitStatus.Unavailable:
                Counters.Unavailable++;
                return ProposalOutcome.Rejected;
            case SubmitStatus.Retry:
                Counters.Retry++;
                return ProposalOutcome.Lost;
            default:
                Counters.BadRequest++;
                return ProposalOutcome.Error;
        }
    }

    private void FailOutstanding()
    {
        GatewayRequest[] table;
        int count;
        lock (_gate)
        {
            _closed = true;
            table = _table;
            count = _tableCount;
        }
        _socket.Dispose();
        for (int i = 0; i < count; i++)
        {
            if (table[i].TryComplete(ProposalOutcome.Error))
            {
                Counters.FailedOnClose++;
            }
        }
    }
}
