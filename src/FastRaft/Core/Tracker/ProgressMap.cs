using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace FastRaft.Core.Tracker;

/// <summary>
/// Progress by node id, kept in ascending id order (etcd's ProgressMap). Parallel sorted
/// arrays: lookups are a short scan (a binary search when large) and iteration is ordered and
/// allocation-free, which is what the leader's per-peer loops need.
/// </summary>
internal sealed class ProgressMap : IReadOnlyCollection<KeyValuePair<ulong, Progress>>
{
    private ulong[] _ids;
    private Progress[] _progress;
    private int _count;

    public ProgressMap()
    {
        _ids = [];
        _progress = [];
    }

    private ProgressMap(ProgressMap other)
    {
        _count = other._count;
        _ids = other._ids.AsSpan(0, _count).ToArray();
        _progress = new Progress[_count];
        for (int i = 0; i < _count; i++)
        {
            _progress[i] = other._progress[i].Clone();
        }
    }

    public int Count => _count;

    /// <summary>The ids in ascending order; a view invalidated by the next change.</summary>
    public ReadOnlySpan<ulong> Ids => _ids.AsSpan(0, _count);

    /// <summary>Gets the progress of <paramref name="id"/> (throws if absent), or adds/replaces it.</summary>
    public Progress this[ulong id]
    {
        get
        {
            int i = IndexOf(id);
            if (i < 0)
            {
                TrackerThrow.KeyNotFound(id);
            }
            return _progress[i];
        }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            int i = IndexOf(id);
            if (i >= 0)
            {
                _progress[i] = value;
                return;
            }
            Insert(~i, id, value);
        }
    }

    public bool TryGetValue(ulong id, [NotNullWhen(true)] out Progress? pr)
    {
        int i = IndexOf(id);
        if (i < 0)
        {
            pr = null;
            return false;
        }
        pr = _progress[i];
        return true;
    }

    public bool ContainsKey(ulong id) => IndexOf(id) >= 0;

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
        Array.Copy(_progress, i + 1, _progress, i, _count - i);
        _progress[_count] = null!;
        return true;
    }

    /// <summary>A deep copy: every progress (and its inflights) is cloned.</summary>
    public ProgressMap Clone() => new(this);

    public Enumerator GetEnumerator() => new(this);

    IEnumerator<KeyValuePair<ulong, Progress>> IEnumerable<KeyValuePair<ulong, Progress>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>One line per node in id order, <c>1: StateProbe match=0 next=1</c>, each ending in a newline.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < _count; i++)
        {
            sb.Append(_ids[i]).Append(": ").Append(_progress[i].ToString()).Append('\n');
        }
        return sb.ToString();
    }

    private void Insert(int at, ulong id, Progress pr)
    {
        if (_count == _ids.Length)
        {
            int size = Math.Max(4, _ids.Length * 2);
            Array.Resize(ref _ids, size);
            Array.Resize(ref _progress, size);
        }
        Array.Copy(_ids, at, _ids, at + 1, _count - at);
        Array.Copy(_progress, at, _progress, at + 1, _count - at);
        _ids[at] = id;
        _progress[at] = pr;
        _count++;
    }

    private int IndexOf(ulong id) => Quorum.SortedIdSearch.IndexOf(_ids, _count, id);

    /// <summary>Ascending iteration without allocation. Do not add or remove while iterating.</summary>
    public struct Enumerator : IEnumerator<KeyValuePair<ulong, Progress>>
    {
        private readonly ProgressMap _map;
        private int _index;

        internal Enumerator(ProgressMap map)
        {
            _map = map;
            _index = -1;
        }

        public readonly KeyValuePair<ulong, Progress> Current => new(_map._ids[_index], _map._progress[_index]);

        readonly object IEnumerator.Current => Current;

        public bool MoveNext() => ++_index < _map._count;

        public void Reset() => _index = -1;

        public readonly void Dispose()
        {
        }
    }
}
