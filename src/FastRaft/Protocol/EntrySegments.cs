using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace FastRaft.Protocol;

/// <summary>
/// A run of consecutive entries held as at most two pieces: <see cref="First"/>, then
/// <see cref="Second"/>. This is how a range of a ring buffer looks when it wraps around the end
/// of its array; a range that does not wrap (and any plain array or memory) is one piece, with
/// <see cref="Second"/> empty. Read it by index, with <c>foreach</c>, piece by piece, or copy it
/// out with <see cref="CopyTo"/>. A view: valid as long as the memory it refers to.
/// </summary>
[CollectionBuilder(typeof(EntrySegments), nameof(Create))]
public readonly struct EntrySegments
{
    /// <summary>
    /// The entries of <paramref name="first"/> followed by those of <paramref name="second"/>.
    /// When <paramref name="first"/> is empty the second piece becomes the first, so an empty
    /// <see cref="First"/> always means an empty run.
    /// </summary>
    public EntrySegments(ReadOnlyMemory<Entry> first, ReadOnlyMemory<Entry> second)
    {
        if (first.IsEmpty)
        {
            First = second;
            Second = ReadOnlyMemory<Entry>.Empty;
        }
        else
        {
            First = first;
            Second = second;
        }
    }

    /// <summary>One piece.</summary>
    public EntrySegments(ReadOnlyMemory<Entry> single)
    {
        First = single;
        Second = ReadOnlyMemory<Entry>.Empty;
    }

    /// <summary>A run of no entries.</summary>
    public static EntrySegments Empty => default;

    /// <summary>The first piece; empty only when the whole run is.</summary>
    public ReadOnlyMemory<Entry> First { get; }

    /// <summary>The continuation of <see cref="First"/>, empty unless the run wraps.</summary>
    public ReadOnlyMemory<Entry> Second { get; }

    /// <summary>The number of entries.</summary>
    public int Length => First.Length + Second.Length;

    /// <summary>Whether the run holds no entries.</summary>
    public bool IsEmpty => First.IsEmpty;

    /// <summary>Whether the whole run is <see cref="First"/>.</summary>
    public bool IsSingleSegment => Second.IsEmpty;

    /// <summary>The entry at position <paramref name="i"/> of the run.</summary>
    public ref readonly Entry this[int i]
    {
        get
        {
            int firstLength = First.Length;
            if ((uint)i < (uint)firstLength)
            {
                return ref First.Span[i];
            }
            if ((uint)(i - firstLength) >= (uint)Second.Length)
            {
                ThrowIndex(i);
            }
            return ref Second.Span[i - firstLength];
        }
    }

    /// <summary>The last entry; the run must not be empty.</summary>
    public ref readonly Entry Last => ref this[Length - 1];

    /// <summary>A one-piece run over <paramref name="single"/> (no copy).</summary>
    public static implicit operator EntrySegments(ReadOnlyMemory<Entry> single) => new(single);

    /// <summary>A one-piece run over the array (no copy); a null array is an empty run.</summary>
    public static implicit operator EntrySegments(Entry[]? single) => new(single);

    /// <summary>Builds a run over a copy of <paramref name="entries"/> (collection expressions; allocates).</summary>
    public static EntrySegments Create(ReadOnlySpan<Entry> entries) => entries.IsEmpty ? default : new(entries.ToArray());

    /// <summary>Copies the entries to <paramref name="destination"/>, which must be at least <see cref="Length"/> long.</summary>
    public void CopyTo(Span<Entry> destination)
    {
        ReadOnlySpan<Entry> first = First.Span;
        if (destination.Length < first.Length + Second.Length)
        {
            ThrowDestinationTooShort();
        }
        first.CopyTo(destination);
        Second.Span.CopyTo(destination[first.Length..]);
    }

    /// <summary>The entries from position <paramref name="start"/> on.</summary>
    public EntrySegments Slice(int start) => Slice(start, Length - start);

    /// <summary>The <paramref name="length"/> entries from position <paramref name="start"/>.</summary>
    public EntrySegments Slice(int start, int length)
    {
        int total = Length;
        if ((uint)start > (uint)total || (uint)length > (uint)(total - start))
        {
            ThrowRange(start, length);
        }
        int firstLength = First.Length;
        if (start >= firstLength)
        {
            return new EntrySegments(Second.Slice(start - firstLength, length));
        }
        int fromFirst = Math.Min(length, firstLength - start);
        return new EntrySegments(First.Slice(start, fromFirst), Second[..(length - fromFirst)]);
    }

    /// <summary>A new array holding the entries (allocates; for tests and diagnostics).</summary>
    public Entry[] ToArray()
    {
        if (IsEmpty)
        {
            return [];
        }
        var copy = new Entry[Length];
        CopyTo(copy);
        return copy;
    }

    /// <summary>An enumerator for <c>foreach</c> that yields each entry by reference, without allocating.</summary>
    public Enumerator GetEnumerator() => new(this);

    /// <summary>Walks the entries by reference, the first piece then the second.</summary>
    public ref struct Enumerator
    {
        private ReadOnlySpan<Entry> _current;
        private ReadOnlySpan<Entry> _next;
        private int _index;

        internal Enumerator(EntrySegments segments)
        {
            _current = segments.First.Span;
            _next = segments.Second.Span;
            _index = -1;
        }

        /// <summary>The entry at the enumerator's position.</summary>
        public readonly ref readonly Entry Current => ref _current[_index];

        /// <summary>Advances to the next entry, crossing from the first piece to the second; false after the last.</summary>
        public bool MoveNext()
        {
            int next = _index + 1;
            if (next < _current.Length)
            {
                _index = next;
                return true;
            }
            if (_next.IsEmpty)
            {
                return false;
            }
            _current = _next;
            _next = default;
            _index = 0;
            return true;
        }
    }

    [DoesNotReturn]
    private static void ThrowIndex(int i) => throw new ArgumentOutOfRangeException(nameof(i), i, "index outside the entries");

    [DoesNotReturn]
    private static void ThrowRange(int start, int length) =>
        throw new ArgumentOutOfRangeException(nameof(start), $"range [{start}, {start}+{length}) outside the entries");

    [DoesNotReturn]
    private static void ThrowDestinationTooShort() => throw new ArgumentException("destination is shorter than the entries");
}
