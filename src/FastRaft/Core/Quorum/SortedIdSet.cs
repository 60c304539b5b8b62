using System.Collections;
using System.Text;

namespace FastRaft.Core.Quorum;

/// <summary>
/// A set of node ids kept in one ascending array. Membership sets are tiny and read far more
/// often than changed, so a sorted array beats a hash set: lookups are a short scan (a binary
/// search when large), iteration is ordered and allocation-free, and printing needs no sort.
/// </summary>
internal abstract class SortedIdSet : IReadOnlyCollection<ulong>
{
    private ulong[] _ids;
    private int _count;

    protected SortedIdSet() => _ids = [];

    protected SortedIdSet(SortedIdSet other)
    {
        _ids = other._count == 0 ? [] : other._ids.AsSpan(0, other._count).ToArray();
        _count = other._count;
    }

    public int Count => _count;

    /// <summary>The ids in ascending order; a view that is invalidated by the next change.</summary>
    public ReadOnlySpan<ulong> Ids => _ids.AsSpan(0, _count);

    public bool Contains(ulong id) => IndexOf(id) >= 0;

    /// <summary>Adds <paramref name="id"/>; returns false when it was already present.</summary>
    public bool Add(ulong id)
    {
        int i = IndexOf(id);
        if (i >= 0)
        {
            return false;
        }
        i = ~i;
        if (_count == _ids.Length)
        {
            Array.Resize(ref _ids, Math.Max(4, _ids.Length * 2));
        }
        Array.Copy(_ids, i, _ids, i + 1, _count - i);
        _ids[i] = id;
        _count++;
        return true;
    }

    /// <summary>Removes <paramref name="id"/>; returns false when it was absent.</summary>
    public bool Remove(ulong id)
    {
        int i = IndexOf(id);
        if (i < 0)
        {
            return false;
        }
        _count--;
        Array.Copy(_ids, i + 1, _ids, i, _count - i);
        return true;
    }

    public void Clear() => _count = 0;

    /// <summary>Makes this set hold exactly the ids of <paramref name="other"/>.</summary>
    public void CopyFrom(SortedIdSet other)
    {
        if (_ids.Length < other._count)
        {
            _ids = new ulong[other._count];
        }
        other.Ids.CopyTo(_ids);
        _count = other._count;
    }

    /// <summary>A fresh sorted array of the ids (etcd's Slice).</summary>
    public ulong[] Slice() => _count == 0 ? [] : Ids.ToArray();

    public Enumerator GetEnumerator() => new(_ids, _count);

    IEnumerator<ulong> IEnumerable<ulong>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The ids as etcd prints a majority config: <c>(1 2 3)</c>, or <c>()</c> when empty.</summary>
    public override string ToString() => Format(Ids);

    internal static string Format(ReadOnlySpan<ulong> ids)
    {
        var sb = new StringBuilder(2 + ids.Length * 4);
        sb.Append('(');
        for (int i = 0; i < ids.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(' ');
            }
            sb.Append(ids[i]);
        }
        sb.Append(')');
        return sb.ToString();
    }

    private int IndexOf(ulong id) => SortedIdSearch.IndexOf(_ids, _count, id);

    /// <summary>Ascending iteration without allocation.</summary>
    public struct Enumerator : IEnumerator<ulong>
    {
        private readonly ulong[] _ids;
        private readonly int _count;
        private int _index;

        internal Enumerator(ulong[] ids, int count)
        {
            _ids = ids;
            _count = count;
            _index = -1;
        }

        public readonly ulong Current => _ids[_index];

        readonly object IEnumerator.Current => Current;

        public bool MoveNext() => ++_index < _count;

        public void Reset() => _index = -1;

        public readonly void Dispose()
        {
        }
    }
}
