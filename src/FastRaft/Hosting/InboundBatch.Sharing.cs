using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using FastRaft.Protocol;

namespace FastRaft.Hosting;

// Sharing instead of copying, for the library's own plumbing: a batch can be a slice of another
// batch's messages (the group hub splitting a batch of several groups' messages), or hold messages
// whose views point into other batches (the in-memory transport queueing the hub's already-copied
// messages). Either way the batches shared are held (a count of holders) until the sharing batch
// is released, so their memory is not reset or reused under it. Holding and releasing are
// thread-safe: the last holder to release a batch, on whatever thread, resets it and returns it
// to its pool.
public sealed partial class InboundBatch
{
    /// <summary>1 for the batch's owner, plus 1 for every batch that shares its memory now.</summary>
    private int _holds = 1;

    /// <summary>The batch whose messages this one is a slice of, or null.</summary>
    private InboundBatch? _parent;
    private int _sliceStart;

    /// <summary>The batches the views of messages added by <see cref="AddShared"/> point into (each held once per run).</summary>
    private InboundBatch[] _shared = [];
    private int _sharedCount;

    /// <summary>Whether other batches hold this one now (any thread; a hint while they may release).</summary>
    internal bool IsShared => Volatile.Read(ref _holds) > 1;

    /// <summary>
    /// Makes this empty batch the messages <paramref name="start"/> to
    /// <paramref name="start"/>+<paramref name="count"/> of <paramref name="parent"/>, without copying
    /// them. <paramref name="parent"/> is held until this batch is released; the caller still owns its
    /// own hold on it. Nothing can be added to a slice.
    /// </summary>
    internal void ShareRange(InboundBatch parent, int start, int count)
    {
        Debug.Assert(_count == 0 && _parent is null && _sharedCount == 0, "a slice is made of an empty batch");
        if (parent._parent is { } root)
        {
            // A slice of a slice is a slice of the batch that owns the messages.
            start += parent._sliceStart;
            parent = root;
        }
        Debug.Assert(start >= 0 && count >= 0 && start + count <= parent._count, "the slice lies within the parent");
        parent.Hold();
        _parent = parent;
        _sliceStart = start;
        _count = count;
    }

    /// <summary>
    /// Adds <paramref name="m"/> as it is (no deep copy): its views point into memory of
    /// <paramref name="owner"/>, which is held until this batch is released. Consecutive messages
    /// of one owner hold it once.
    /// </summary>
    internal void AddShared(in Message m, InboundBatch owner)
    {
        NextSlot() = m;
        if (_sharedCount > 0 && ReferenceEquals(_shared[_sharedCount - 1], owner))
        {
            return;
        }
        owner.Hold();
        if (_sharedCount == _shared.Length)
        {
            Array.Resize(ref _shared, Math.Max(4, _sharedCount * 2));
        }
        _shared[_sharedCount++] = owner;
    }

    private void Hold() => Interlocked.Increment(ref _holds);

    /// <summary>Lets go of every batch this one shares (when it is reset).</summary>
    private void ReleaseShared()
    {
        if (_parent is { } parent)
        {
            _parent = null;
            _sliceStart = 0;
            parent.Release();
        }
        for (int i = 0; i < _sharedCount; i++)
        {
            InboundBatch owner = _shared[i];
            _shared[i] = null!;
            owner.Release();
        }
        _sharedCount = 0;
    }

    [DoesNotReturn]
    private static void ThrowSliceIsReadOnly() =>
        throw new InvalidOperationException("nothing can be added to a batch that is a slice of another");

    [DoesNotReturn]
    private static void ThrowResetWhileShared() =>
        throw new InvalidOperationException("the batch cannot be reset while other batches share its memory; release it instead");

    [DoesNotReturn]
    private static void ThrowReleasedTooOften() =>
        throw new InvalidOperationException("the batch was released more often than it was held");
}
