using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace FastRaft.Codec.Framing;

/// <summary>
/// The receiving half of a framed connection: the Kestrel-style loop over a
/// <see cref="PipeReader"/> — <see cref="ReadAsync"/> (or <see cref="TryRead"/> without waiting)
/// fills the buffer, <see cref="TryReadFrame"/> hands out whole frames' payloads in place, and
/// <see cref="AdvanceToNext"/> tells the pipe what was consumed (the frames read) and examined
/// (everything), so a partial frame waits for more bytes without being scanned again. A payload
/// is valid until <see cref="AdvanceToNext"/>. Single-threaded; allocation-free.
/// </summary>
public sealed class FrameStreamReader
{
    private readonly PipeReader _input;
    private readonly int _maxPayloadBytes;
    private ReadOnlySequence<byte> _buffer;
    private bool _holding;
    private bool _completed;

    // Bytes left in the pipe at the last AdvanceToNext: once the writer has completed, a read
    // that brings nothing beyond them is the end (a cut frame would otherwise be handed out
    // again and again).
    private long _leftOver;

    /// <summary>A reader of the frames arriving on <paramref name="input"/>.</summary>
    /// <param name="input">The connection's receiving pipe; the reader is its only consumer.</param>
    /// <param name="maxPayloadBytes">The largest payload accepted, in bytes; a frame header announcing more is a protocol error.</param>
    public FrameStreamReader(PipeReader input, int maxPayloadBytes = FrameFormat.DefaultMaxPayloadBytes)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPayloadBytes, 1);
        _input = input;
        _maxPayloadBytes = maxPayloadBytes;
    }

    /// <summary>The writer completed: no more bytes will come.</summary>
    public bool IsCompleted => _completed;

    /// <summary>Bytes buffered and not yet read as frames (a partial frame at the end of the stream).</summary>
    public long BufferedBytes => _holding ? _buffer.Length : 0;

    /// <summary>Waits for more bytes; false when the stream has ended (see <see cref="BufferedBytes"/> for a cut frame).</summary>
    /// <remarks>A read that has to wait reuses a pooled state machine: a receive loop allocates nothing per read.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfHolding();
        ReadResult result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
        return Take(result);
    }

    /// <summary>Takes what the pipe already holds, without waiting; false when nothing new is there.</summary>
    public bool TryRead()
    {
        ThrowIfHolding();
        return _input.TryRead(out ReadResult result) && Take(result);
    }

    /// <summary>The next whole frame in the buffer; anything but Complete leaves it there.</summary>
    public FrameStatus TryReadFrame(out ReadOnlySequence<byte> payload)
    {
        if (!_holding)
        {
            payload = default;
            return FrameStatus.Incomplete;
        }
        return FrameReader.TryReadFrame(ref _buffer, _maxPayloadBytes, out payload);
    }

    /// <summary>Gives the frames read back to the pipe; the rest of the buffer waits for more bytes.</summary>
    public void AdvanceToNext()
    {
        if (_holding)
        {
            _holding = false;
            _leftOver = _buffer.Length;
            _input.AdvanceTo(_buffer.Start, _buffer.End);
            _buffer = default;
        }
    }

    private void ThrowIfHolding()
    {
        if (_holding)
        {
            ThrowHolding();
        }
    }

    private static void ThrowHolding() =>
        throw new InvalidOperationException("call AdvanceToNext before reading again (the pipe still lends the previous buffer)");

    private bool Take(in ReadResult result)
    {
        _completed = result.IsCompleted || result.IsCanceled;
        _buffer = result.Buffer;
        _holding = true;
        return !(_completed && result.Buffer.Length == _leftOver);
    }
}
