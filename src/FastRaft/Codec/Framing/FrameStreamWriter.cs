using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using FastRaft.Protocol;

namespace FastRaft.Codec.Framing;

/// <summary>
/// The sending half of a framed connection for a thread that must never block (a node's duty
/// cycle): frames go into the <see cref="PipeWriter"/> as they come, <see cref="Flush"/> hands a
/// whole batch to the pipe at once, and while the pipe holds back a flush (its pause threshold
/// is reached: the peer or the network is slower than we are) the writer is
/// <see cref="IsPaused"/> and refuses further frames instead of buffering without bound. The
/// owner decides what a refusal means (drop and count; a pause that lasts is an unreachable
/// peer). Single-threaded; allocation-free in steady state.
/// </summary>
public sealed class FrameStreamWriter
{
    private readonly PipeWriter _output;
    private readonly int _maxPayloadBytes;
    private ValueTask<FlushResult> _pendingFlush;
    private bool _flushPending;
    private long _unflushedBytes;

    /// <summary>A writer of frames to <paramref name="output"/>.</summary>
    /// <param name="output">The connection's sending pipe; the writer is its only producer.</param>
    /// <param name="maxPayloadBytes">The largest payload written, in bytes; writing a larger message throws <see cref="ArgumentOutOfRangeException"/>, as the peer would refuse it.</param>
    public FrameStreamWriter(PipeWriter output, int maxPayloadBytes = FrameFormat.DefaultMaxPayloadBytes)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPayloadBytes, 1);
        _output = output;
        _maxPayloadBytes = maxPayloadBytes;
    }

    /// <summary>Frames written and not yet handed to a flush.</summary>
    public long UnflushedBytes => _unflushedBytes;

    /// <summary>A flush is held back by the pipe's backpressure (checked without waiting).</summary>
    public bool IsPaused
    {
        get
        {
            ObservePendingFlush();
            return _flushPending;
        }
    }

    /// <summary>The reading side is gone (the connection closed or was cancelled); nothing more can be sent.</summary>
    public bool IsClosed { get; private set; }

    /// <summary>Frames and buffers <paramref name="m"/>; false (nothing written) while paused or closed.</summary>
    public bool TryWrite(in Message m)
    {
        if (IsClosed || IsPaused)
        {
            return false;
        }
        _unflushedBytes += FrameWriter.WriteFrame(_output, in m, _maxPayloadBytes);
        return true;
    }

    /// <summary>Buffers an encoded payload and its trailer as one frame; false (nothing written) while paused or closed.</summary>
    public bool TryWrite(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> trailer)
    {
        if (IsClosed || IsPaused)
        {
            return false;
        }
        FrameWriter.WriteFrame(_output, payload, trailer);
        _unflushedBytes += FrameFormat.HeaderSize + payload.Length + trailer.Length;
        return true;
    }

    /// <summary>Hands what was written to the pipe; returns at once (see <see cref="IsPaused"/>).</summary>
    public void Flush()
    {
        if (_unflushedBytes == 0 || IsClosed || IsPaused)
        {
            return;
        }
        _unflushedBytes = 0;
        ValueTask<FlushResult> flush;
        try
        {
            flush = _output.FlushAsync();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            IsClosed = true;
            return;
        }
        if (flush.IsCompleted)
        {
            Complete(flush);
            return;
        }
        _pendingFlush = flush;
        _flushPending = true;
    }

    /// <summary>Waits until a held-back flush completes (for the owner's own pacing; never needed on the node thread).</summary>
    public async ValueTask WaitUntilResumedAsync()
    {
        if (_flushPending)
        {
            _flushPending = false;
            try
            {
                Complete(await _pendingFlush.ConfigureAwait(false));
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException or System.Net.Sockets.SocketException)
            {
                IsClosed = true;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ObservePendingFlush()
    {
        if (_flushPending && _pendingFlush.IsCompleted)
        {
            _flushPending = false;
            Complete(_pendingFlush);
        }
    }

    /// <summary>Observes a completed flush; a failed one (the connection broke) closes the writer instead of throwing.</summary>
    private void Complete(ValueTask<FlushResult> flush)
    {
        if (!flush.IsCompletedSuccessfully)
        {
            IsClosed = true;
            try
            {
                _ = flush.Result;
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException or System.Net.Sockets.SocketException)
            {
            }
            return;
        }
        Complete(flush.Result);
    }

    private void Complete(FlushResult result)
    {
        if (result.IsCompleted || result.IsCanceled)
        {
            IsClosed = true;
        }
    }
}
