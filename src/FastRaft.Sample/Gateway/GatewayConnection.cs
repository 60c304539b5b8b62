using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FastRaft.Codec.Framing;
using FastRaft.Sample.Cluster;
using FastRaft.Sample.Protocol;

namespace FastRaft.Sample.Gateway;

/// <summary>
/// One client connection of the gateway: a pipe pair over the socket, a read loop that cuts
/// frames in place (<see cref="FrameReader"/>) and hands each request to the host (many may be in flight: pipelining), and
/// a write loop that drains the connection's reply queue into its <see cref="FrameStreamWriter"/>
/// and flushes once per batch. Replies are queued from wherever they complete (the node's
/// completion path, lock-free); the read loop stops reading at
/// <see cref="ClientGatewayOptions.MaxInFlightPerConnection"/> unanswered requests until the
/// writer catches up, so a fast client meets TCP backpressure, not a growing queue. Bad input
/// (garbage, an oversize header, a cut or malformed frame) closes the connection with its reason;
/// a client that shuts down its sending side gets its outstanding replies, then the close.
/// </summary>
internal sealed class GatewayConnection
{
    /// <summary>Replies buffered before a flush mid-batch.</summary>
    private const int FlushThresholdBytes = 32 * 1024;

    private const int Open = -1;

    // Per thread, not per connection: thousands of idle connections hold no scratch memory. Both
    // are used only between two awaits.
    [ThreadStatic]
    private static byte[]? t_payloadScratch;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_replyScratch;

    private readonly IGatewayHost _host;
    private readonly Socket? _socket;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly FrameStreamWriter _writer;
    private readonly AsyncSignal _repliesQueued = new(runContinuationsAsynchronously: true);
    private readonly AsyncSignal _drained = new(runContinuationsAsynchronously: true);
    private readonly int _maxInFlight;
    private BoundedQueue<GatewayReply>? _replies;
    private int _inFlight;
    private int _reason = Open;
    private volatile bool _aborted;
    private volatile bool _readingDone;

    // Stopwatch ticks: when the frame now incomplete began (0: none), and since when replies wait for a flush to complete (0: not waiting).
    private long _frameStartedAt;
    private long _writeBlockedSince;

    /// <summary>A connection over an accepted socket.</summary>
    public GatewayConnection(IGatewayHost host, Socket socket, long id)
        : this(host, PipesOf(socket), socket.RemoteEndPoint, id) => _socket = socket;

    /// <summary>A connection over any pipe pair (tests feed it bytes without a socket).</summary>
    public GatewayConnection(IGatewayHost host, (PipeReader Input, PipeWriter Output) pipes, EndPoint? remote, long id)
    {
        _host = host;
        _input = pipes.Input;
        _output = pipes.Output;
        _writer = new FrameStreamWriter(_output, int.MaxValue);
        _maxInFlight = host.Options.MaxInFlightPerConnection;
        Remote = remote;
        Id = id;
    }

    public long Id { get; }

    /// <summary>The client's address (for the log).</summary>
    public EndPoint? Remote { get; }

    /// <summary>Why the connection was closed (None while open or after a clean close).</summary>
    public GatewayRefusal Refusal => _reason is Open ? GatewayRefusal.None : (GatewayRefusal)_reason;

    /// <summary>Requests read and not yet answered.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Runs the connection until it closes; never throws.</summary>
    public async Task RunAsync()
    {
        Task writing = WriteLoopAsync();
        GatewayRefusal outcome;
        try
        {
            outcome = await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            outcome = _aborted ? GatewayRefusal.None : GatewayRefusal.ConnectionError;
        }
        if (outcome != GatewayRefusal.None)
        {
            Close(outcome);
        }
        else
        {
            // The client is done sending (or we are closing): answer what is outstanding, then close.
            _readingDone = true;
            _repliesQueued.Set();
        }
        try
        {
            await writing.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            Close(GatewayRefusal.ConnectionError);
        }
        Release();
        _host.OnClosed(this, Refusal);
    }

    /// <summary>Queues a reply (any thread). Dropped if the connection is closed: the client resends elsewhere.</summary>
    public void Enqueue(GatewayReply reply)
    {
        BoundedQueue<GatewayReply>? replies = Volatile.Read(ref _replies);
        if (_aborted || replies is null || !replies.TryEnqueue(reply))
        {
            _host.ReturnReply(reply);
            return;
        }
        _repliesQueued.Set();
    }

    /// <summary>Closes the connection for <paramref name="reason"/> (the first reason given wins; counted once).</summary>
    public void Close(GatewayRefusal reason)
    {
        if (Interlocked.CompareExchange(ref _reason, (int)reason, Open) != Open)
        {
            return;
        }
        _aborted = true;
        if (reason != GatewayRefusal.None)
        {
            _host.OnRefused(this, reason);
        }
        try
        {
            _socket?.Dispose();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        try
        {
            _input.CancelPendingRead();
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
        }
        _repliesQueued.Set();
        _drained.Set();
    }

    /// <summary>Closes the connection if a frame has been incomplete, or replies unwritable, for too long (the gateway's sweep).</summary>
    public void CheckDeadlines(long now, long frameTicks, long writeTicks)
    {
        long started = Volatile.Read(ref _frameStartedAt);
        if (started != 0 && now - started > frameTicks)
        {
            Close(GatewayRefusal.SlowFrame);
            return;
        }
        long blocked = Volatile.Read(ref _writeBlockedSince);
        if (blocked != 0 && now - blocked > writeTicks)
        {
            Close(GatewayRefusal.SlowReader);
        }
    }

    /// <remarks>
    /// The Kestrel-style loop straight over the pipe with <see cref="FrameReader"/> (rather than
    /// <see cref="FrameStreamReader.ReadAsync"/>, an async method that allocates its state each
    /// time it has to wait; this loop's state exists once per connection).
    /// </remarks>
    private async Task<GatewayRefusal> ReadLoopAsync()
    {
        int maxFrame = _host.Options.MaxFrameBytes;
        while (true)
        {
            ReadResult read = await _input.ReadAsync().ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            if (_aborted)
            {
                _input.AdvanceTo(buffer.Start);
                return GatewayRefusal.None;
            }
            int frames = 0;
            while (true)
            {
                FrameStatus status = FrameReader.TryReadFrame(ref buffer, maxFrame, out ReadOnlySequence<byte> payload);
                if (status == FrameStatus.Incomplete)
                {
                    break;
                }
                if (status != FrameStatus.Complete)
                {
                    _input.AdvanceTo(buffer.Start);
                    return status == FrameStatus.BadMarker ? GatewayRefusal.Garbage : GatewayRefusal.OversizeFrame;
                }
                frames++;
                if (!Dispatch(payload))
                {
                    _input.AdvanceTo(buffer.Start);
                    return GatewayRefusal.MalformedRequest;
                }
                if (Volatile.Read(ref _inFlight) >= _maxInFlight)
                {
                    // Full: stop reading (the buffer is held, so the socket is not read either) until replies drain.
                    Volatile.Write(ref _frameStartedAt, 0);
                    while (Volatile.Read(ref _inFlight) >= _maxInFlight && !_aborted)
                    {
                        await _drained.WaitAsync().ConfigureAwait(false);
                    }
                    if (_aborted)
                    {
                        _input.AdvanceTo(buffer.Start);
                        return GatewayRefusal.None;
                    }
                }
            }
            long left = buffer.Length;
            // Frames read are consumed; a partial one waits for more bytes without being scanned again.
            _input.AdvanceTo(buffer.Start, buffer.End);
            // The deadline runs from the start of the frame that is incomplete now: a new one when frames completed.
            if (left == 0)
            {
                Volatile.Write(ref _frameStartedAt, 0);
            }
            else if (frames > 0 || Volatile.Read(ref _frameStartedAt) == 0)
            {
                Volatile.Write(ref _frameStartedAt, Stopwatch.GetTimestamp());
            }
            if (read.IsCompleted || read.IsCanceled)
            {
                return _aborted ? GatewayRefusal.None : left > 0 ? GatewayRefusal.CutFrame : GatewayRefusal.None;
            }
        }
    }

    /// <summary>Parses one frame's request and hands it on; false when it is not a request (counted).</summary>
    private bool Dispatch(in ReadOnlySequence<byte> payload)
    {
        ReadOnlyMemory<byte> request;
        if (payload.IsSingleSegment)
        {
            request = payload.First;
        }
        else
        {
            // Rare (a frame across pipe segments): copied, since the protocol's readers take one block.
            byte[] scratch = t_payloadScratch is { } s && s.Length >= payload.Length ? s : (t_payloadScratch = new byte[Math.Max((int)payload.Length, ClientProtocol.MaxMessageSize)]);
            payload.CopyTo(scratch);
            request = scratch.AsMemory(0, (int)payload.Length);
        }
        if (!ClientEndpoint.TryParse(request, _host.Counters, out ClientRequest parsed))
        {
            return false;
        }
        if (_replies is null)
        {
            Volatile.Write(ref _replies, new BoundedQueue<GatewayReply>(_maxInFlight));
        }
        Interlocked.Increment(ref _inFlight);
        if (!_host.TryHandle(in parsed, request, this))
        {
            Interlocked.Decrement(ref _inFlight);
        }
        return true;
    }

    private async Task WriteLoopAsync()
    {
        while (true)
        {
            await _repliesQueued.WaitAsync().ConfigureAwait(false);
            if (_aborted)
            {
                break;
            }
            int written = 0;
            if (Volatile.Read(ref _replies) is { } replies)
            {
                while (replies.TryDequeue(out GatewayReply reply))
                {
                    if (_writer.IsPaused)
                    {
                        await WaitForFlushAsync().ConfigureAwait(false);
                    }
                    bool sent = !_aborted && Write(reply);
                    _host.ReturnReply(reply);
                    if (!sent)
                    {
                        break;
                    }
                    written++;
                    if (_writer.UnflushedBytes >= FlushThresholdBytes)
                    {
                        _writer.Flush();
                    }
                }
            }
            _writer.Flush();
            if (written > 0)
            {
                Interlocked.Add(ref _inFlight, -written);
                _drained.Set();
            }
            if (_writer.IsClosed)
            {
                Close(GatewayRefusal.ConnectionError);
                break;
            }
            if (_readingDone && Volatile.Read(ref _inFlight) == 0)
            {
                // Everything answered: let the last flush reach the socket before closing.
                await WaitForFlushAsync().ConfigureAwait(false);
                break;
            }
        }
        if (Volatile.Read(ref _replies) is { } left)
        {
            while (left.TryDequeue(out GatewayReply reply))
            {
                _host.ReturnReply(reply);
            }
        }
    }

    private async ValueTask WaitForFlushAsync()
    {
        if (!_writer.IsPaused)
        {
            return;
        }
        Volatile.Write(ref _writeBlockedSince, Stopwatch.GetTimestamp());
        await _writer.WaitUntilResumedAsync().ConfigureAwait(false);
        Volatile.Write(ref _writeBlockedSince, 0);
    }

    /// <summary>Encodes one reply and frames it into the pipe; false when the connection can take no more.</summary>
    private bool Write(GatewayReply reply)
    {
        ArrayBufferWriter<byte> scratch = t_replyScratch ??= new ArrayBufferWriter<byte>(256);
        scratch.ResetWrittenCount();
        switch (reply.Kind)
        {
            case ClientProtocol.KindSubmit:
                ClientProtocol.WriteSubmitReply(scratch, in reply.Submit);
                break;
            case ClientProtocol.KindQuery:
                ClientProtocol.WriteQueryReply(scratch, reply.RequestId, (ReplicaState)reply.Body!);
                break;
            default:
                ClientProtocol.WriteMembershipReply(scratch, (MembershipReply)reply.Body!);
                break;
        }
        return _writer.TryWrite(scratch.WrittenSpan, default);
    }

    private void Release()
    {
        try
        {
            _input.Complete();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ObjectDisposedException)
        {
        }
        try
        {
            _output.Complete();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ObjectDisposedException or SocketException)
        {
        }
        _socket?.Dispose();
    }

    private static (PipeReader Input, PipeWriter Output) PipesOf(Socket socket)
    {
        socket.NoDelay = true;
        var stream = new NetworkStream(socket, ownsSocket: false);
        // Zero-byte reads: an idle connection holds no receive buffer.
        return (PipeReader.Create(stream, new StreamPipeReaderOptions(useZeroByteReads: true, leaveOpen: true)),
            PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)));
    }
}
