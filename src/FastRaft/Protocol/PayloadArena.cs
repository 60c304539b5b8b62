namespace FastRaft.Protocol;

/// <summary>
/// Owns the payload bytes of a log: every payload is copied in log order into pooled chunks and
/// the stored entry refers to its bytes by slice. Space is given back from the front
/// (<see cref="ReleaseBefore"/>: entries became stable or were compacted) or from the back
/// (<see cref="TruncateTo"/>: a conflicting tail was cut off).
/// </summary>
/// <remarks>
/// Positions are logical byte offsets that only grow: each chunk covers
/// [Base, Base + length) of that space, and a payload never straddles two chunks (when it does
/// not fit, the rest of the chunk is skipped). Owners remember the end position of each entry's
/// payload and release by position.
/// <para>
/// Lifetime rule: views of released bytes may still be in flight (inside a Ready, or in messages
/// built before the release), so released bytes are never rewritten at once. Inside the chunk
/// being written the write cursor never moves back, and a chunk emptied by a release becomes
/// reusable only after two calls of <see cref="AdvanceEpoch"/> (the node calls it once per
/// Ready). A payload larger than a chunk gets a dedicated chunk of its exact size that is left
/// to the GC when released. Steady state (append, release, advance) allocates nothing.
/// </para>
/// Not thread-safe: the owner serializes access.
/// </remarks>
internal sealed class PayloadArena
{
    public const int DefaultChunkSize = 64 * 1024;

    /// <summary>How many epochs a released chunk waits before it may be written again.</summary>
    public const int EpochsBeforeReuse = 2;

    /// <summary>
    /// The first chunk's size (when the chunk size is larger): chunks double from it up to the
    /// chunk size, so a log that holds a few small payloads (an idle group's, of thousands in a
    /// process) keeps a small chunk, not a full one. Only full-size chunks are pooled, so a busy
    /// log reaches them after a few chunks and allocates nothing from then on.
    /// </summary>
    public const int FirstChunkSize = 128;

    private readonly int _chunkSize;

    /// <summary>The size of the next chunk allocated while growing towards <see cref="_chunkSize"/>.</summary>
    private int _growingSize;

    // Live chunks in log order, as a ring: the front holds the oldest bytes, the back is written.
    // Its length is a power of two, so positions wrap with a mask (Append finds the back chunk
    // for every payload; a division there cost more than the copy of a small payload).
    // Allocated on the first payload: an arena that never holds one (an idle group's) has none.
    private Segment[] _live = [];
    private int _liveHead;
    private int _liveCount;

    private readonly Queue<Released> _pending = new();
    private readonly Stack<byte[]> _free = new();

    private long _nextBase;
    private long _epoch;

    public PayloadArena(int chunkSize = DefaultChunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        _chunkSize = chunkSize;
        _growingSize = Math.Min(FirstChunkSize, chunkSize);
    }

    public int ChunkSize => _chunkSize;

    /// <summary>The position just after the last byte written (where the next payload's bytes begin at the earliest).</summary>
    public long Tail => _liveCount == 0 ? _nextBase : Back.Base + Back.Used;

    /// <summary>Chunks holding (or able to hold) live bytes.</summary>
    public int LiveChunkCount => _liveCount;

    /// <summary>Released pooled chunks still waiting out their epochs.</summary>
    public int PendingChunkCount => _pending.Count;

    /// <summary>Pooled chunks ready to be written again.</summary>
    public int FreeChunkCount => _free.Count;

    /// <summary>Pooled-size chunks allocated since creation (dedicated oversize chunks not counted).</summary>
    public int AllocatedChunkCount { get; private set; }

    public long Epoch => _epoch;

    /// <summary>
    /// Copies <paramref name="payload"/> into the arena and returns the stored view;
    /// <paramref name="end"/> is the position just after it. An empty payload takes no space and
    /// is stored as <see cref="ReadOnlyMemory{T}.Empty"/>.
    /// </summary>
    public ReadOnlyMemory<byte> Append(ReadOnlySpan<byte> payload, out long end)
    {
        int n = payload.Length;
        if (n != 0 && _liveCount != 0)
        {
            // The usual case: the payload fits in the chunk being written.
            ref Segment back = ref Back;
            int at = back.Used;
            byte[] buffer = back.Buffer;
            if (buffer.Length - at >= n)
            {
                payload.CopyTo(buffer.AsSpan(at, n));
                back.Used = at + n;
                end = back.Base + at + n;
                return new ReadOnlyMemory<byte>(buffer, at, n);
            }
        }
        return AppendSlow(payload, out end);
    }

    private ReadOnlyMemory<byte> AppendSlow(ReadOnlySpan<byte> payload, out long end)
    {
        if (payload.IsEmpty)
        {
            end = Tail;
            return ReadOnlyMemory<byte>.Empty;
        }
        int n = payload.Length;
        AddChunk(n);
        ref Segment back = ref Back;
        payload.CopyTo(back.Buffer.AsSpan(0, n));
        back.Used = n;
        end = back.Base + n;
        return new ReadOnlyMemory<byte>(back.Buffer, 0, n);
    }

    /// <summary>
    /// Gives back every byte before <paramref name="position"/> (FIFO). Chunks left without live
    /// bytes are retired, except a partially written last chunk, which keeps being written.
    /// </summary>
    public void ReleaseBefore(long position)
    {
        while (_liveCount > 0)
        {
            ref Segment front = ref Front;
            if (front.Base + front.Used > position)
            {
                return;
            }
            if (_liveCount == 1 && front.Used < front.Buffer.Length)
            {
                return;
            }
            Retire(front.Buffer);
            front = default;
            _liveHead = (_liveHead + 1) & (_live.Length - 1);
            _liveCount--;
        }
    }

    /// <summary>
    /// Gives back every byte at or after <paramref name="position"/> (LIFO). Whole chunks past the
    /// position are retired; inside the chunk that holds the position the cut bytes are simply
    /// not written again until that chunk itself is retired and recycled.
    /// </summary>
    public void TruncateTo(long position)
    {
        while (_liveCount > 1)
        {
            ref Segment back = ref Back;
            if (back.Base < position)
            {
                return;
            }
            Retire(back.Buffer);
            back = default;
            _liveCount--;
        }
    }

    /// <summary>Gives back everything written so far.</summary>
    public void ReleaseAll() => ReleaseBefore(Tail);

    /// <summary>
    /// Marks the end of a Ready cycle: chunks released at least <see cref="EpochsBeforeReuse"/>
    /// epochs ago become reusable.
    /// </summary>
    public void AdvanceEpoch()
    {
        _epoch++;
        while (_pending.TryPeek(out Released r) && _epoch - r.Epoch >= EpochsBeforeReuse)
        {
            _pending.Dequeue();
            _free.Push(r.Buffer);
        }
    }

    /// <summary>
    /// Drops every chunk, live, waiting or free, and starts growing from
    /// <see cref="FirstChunkSize"/> again: for an owner that holds no payload of this arena any
    /// more and will stay unused for long (a quiet node's unstable log). Positions keep growing
    /// from <see cref="Tail"/>. Views still in flight keep their chunks alive (the GC frees them
    /// after), so no epoch needs to pass first.
    /// </summary>
    public void DropChunks()
    {
        _live = [];
        _liveHead = 0;
        _liveCount = 0;
        _pending.Clear();
        _pending.TrimExcess();
        _free.Clear();
        _free.TrimExcess();
        _growingSize = Math.Min(FirstChunkSize, _chunkSize);
    }

    private ref Segment Front => ref _live[_liveHead];

    private ref Segment Back => ref _live[(_liveHead + _liveCount - 1) & (_live.Length - 1)];

    private void AddChunk(int needed)
    {
        byte[] buffer = needed > _chunkSize ? GC.AllocateUninitializedArray<byte>(needed) : RentChunk(needed);
        if (_liveCount == _live.Length)
        {
            GrowRing();
        }
        _live[(_liveHead + _liveCount) & (_live.Length - 1)] = new Segment(buffer, _nextBase);
        _liveCount++;
        _nextBase += buffer.Length;
    }

    private byte[] RentChunk(int needed)
    {
        if (_free.TryPop(out byte[]? buffer))
        {
            return buffer;
        }
        if (_growingSize < _chunkSize)
        {
            // Still growing: a chunk of the next size (or the payload's, rounded up), left to the
            // GC once released (only full-size chunks are pooled).
            int size = Math.Min(_chunkSize, Math.Max(_growingSize, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)needed)));
            _growingSize = size >= _chunkSize / 2 ? _chunkSize : size * 2;
            if (size < _chunkSize)
            {
                return GC.AllocateUninitializedArray<byte>(size);
            }
        }
        AllocatedChunkCount++;
        return GC.AllocateUninitializedArray<byte>(_chunkSize);
    }

    private void Retire(byte[] buffer)
    {
        // Only pooled-size chunks come back; a dedicated chunk is left to the GC, which keeps it
        // alive for as long as any view of it exists.
        if (buffer.Length == _chunkSize)
        {
            _pending.Enqueue(new Released(buffer, _epoch));
        }
    }

    private void GrowRing()
    {
        var next = new Segment[Math.Max(4, _live.Length * 2)];
        for (int i = 0; i < _liveCount; i++)
        {
            next[i] = _live[(_liveHead + i) & (_live.Length - 1)];
        }
        _live = next;
        _liveHead = 0;
    }

    private struct Segment(byte[] buffer, long @base)
    {
        public readonly byte[] Buffer = buffer;
        public readonly long Base = @base;
        public int Used;
    }

    private readonly record struct Released(byte[] Buffer, long Epoch);
}
