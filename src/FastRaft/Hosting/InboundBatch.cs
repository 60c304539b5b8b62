using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Hosting;

/// <summary>
/// A pooled set of inbound messages together with the memory their views point into, so
/// messages can cross from a transport thread to the node thread without allocating. A
/// transport either decodes into the batch's own buffer (<see cref="RentBuffer"/> then
/// <see cref="Add"/> with views into it) or deep-copies messages (<see cref="AddCopy"/>).
/// Inside the library a batch can also share another batch's memory instead of copying it (see
/// InboundBatch.Sharing.cs): a batch shared goes back to its pool when its last holder releases it.
/// </summary>
public sealed partial class InboundBatch
{
    private readonly InboundBatchPool? _pool;
    private Message[] _messages = new Message[8];
    private int _count;
    private byte[] _bytes;
    private int _bytesUsed;
    private readonly EntryBuffer _entries = new(32);
    private readonly List<Message[]> _responseArrays = [];

    internal InboundBatch(InboundBatchPool? pool, int initialBytes)
    {
        _pool = pool;
        _bytes = new byte[Math.Max(initialBytes, 64)];
    }

    /// <summary>A batch outside any pool (tests, one-off use).</summary>
    public InboundBatch() : this(null, 4096) { }

    /// <summary>The messages added so far, in order; views into memory the batch owns until it is reset or returned.</summary>
    public ReadOnlySpan<Message> Messages =>
        _parent is null ? _messages.AsSpan(0, _count) : _parent._messages.AsSpan(_sliceStart, _count);

    /// <summary>The number of messages in the batch.</summary>
    public int Count => _count;

    /// <summary>
    /// Returns writable space of at least <paramref name="length"/> bytes owned by the batch (for a
    /// transport to receive or decode into). Earlier views stay valid: growth moves to a new array.
    /// </summary>
    public Memory<byte> RentBuffer(int length)
    {
        if (_bytesUsed + length > _bytes.Length)
        {
            _bytes = new byte[Math.Max(_bytes.Length * 2, length)];
            _bytesUsed = 0;
        }
        var view = new Memory<byte>(_bytes, _bytesUsed, length);
        _bytesUsed += length;
        return view;
    }

    /// <summary>Entry storage owned by the batch, for decoders that need somewhere to put entries.</summary>
    public EntryBuffer EntryStore => _entries;

    /// <summary>Adds a message whose views already point into memory owned by this batch.</summary>
    public void Add(in Message m) => NextSlot() = m;

    /// <summary>Adds a deep copy of <paramref name="m"/>: entries, payloads and context are copied into the batch.</summary>
    public void AddCopy(in Message m)
    {
        // Built in its slot: a message is a large struct, and each copy of it costs write barriers.
        ref Message c = ref NextSlot();
        c = m;
        c.Context = CopyBytes(m.Context.Span);
        if (!m.Entries.IsEmpty)
        {
            int start = _entries.Count;
            foreach (ref readonly Entry e in m.Entries.Span)
            {
                _entries.Add(e with { Data = CopyBytes(e.Data.Span) });
            }
            c.Entries = _entries.AsMemory(start, m.Entries.Length);
        }
        if (!m.Responses.IsEmpty)
        {
            // Local storage messages never cross a transport; kept for completeness (allocates).
            var rs = new Message[m.Responses.Length];
            m.Responses.Span.CopyTo(rs);
            _responseArrays.Add(rs);
            c.Responses = rs;
        }
    }

    private ref Message NextSlot()
    {
        if (_parent is not null)
        {
            ThrowSliceIsReadOnly();
        }
        if (_count == _messages.Length)
        {
            Array.Resize(ref _messages, _messages.Length * 2);
        }
        return ref _messages[_count++];
    }

    private ReadOnlyMemory<byte> CopyBytes(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        Memory<byte> dst = RentBuffer(data.Length);
        data.CopyTo(dst.Span);
        return dst;
    }

    /// <summary>Empties the batch for reuse (keeps its buffers). Only for a batch not handed over yet.</summary>
    public void Reset()
    {
        if (Volatile.Read(ref _holds) > 1)
        {
            ThrowResetWhileShared();
        }
        Clear();
    }

    /// <summary>
    /// Gives the batch back: it is reset and returned to its pool (if it has one), at once, or,
    /// when other batches still share its memory, once the last of them is released.
    /// </summary>
    public void Release()
    {
        if (Volatile.Read(ref _holds) == 1)
        {
            // The only holder: nobody else can add a hold (only holders share a batch), so no atomic step.
            Clear();
            _pool?.Return(this);
            return;
        }
        int left = Interlocked.Decrement(ref _holds);
        if (left > 0)
        {
            return;
        }
        if (left < 0)
        {
            ThrowReleasedTooOften();
        }
        Clear();
        _holds = 1;
        _pool?.Return(this);
    }

    private void Clear()
    {
        if (_parent is null)
        {
            _messages.AsSpan(0, _count).Clear();
        }
        _count = 0;
        _bytesUsed = 0;
        _entries.Clear();
        _responseArrays.Clear();
        ReleaseShared();
    }
}
