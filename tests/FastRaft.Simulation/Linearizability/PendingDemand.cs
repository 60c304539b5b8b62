namespace FastRaft.Simulation.Linearizability;

/// <summary>
/// Which values the operations still to be linearized need, and whether the state can still get
/// there. A value is needed when a pending completed operation can only take effect with the
/// state holding it (a get returning it, a compare-and-set that swapped from it). From a state,
/// the values the key can still take are the state itself, the values of pending puts, and,
/// transitively, the values of pending compare-and-sets (unknown or swapped) from a value it can
/// take. A needed value outside that set can never be read: the configuration has no
/// linearization. Counters kept per step make the common answer O(1): only needed values with
/// no pending put (kept in a list) need a walk back through the swaps that write them.
/// </summary>
internal sealed class PendingDemand
{
    private const int None = -1;

    private readonly Dictionary<ulong, int> _ids = [];

    // Per operation: the value it needs, the value it may write, and for a compare-and-set that
    // may write, the value it swaps from (None for a put: it writes from any state).
    private readonly int[] _needs;
    private readonly int[] _writes;
    private readonly int[] _swapsFrom;
    private readonly bool[] _pending;

    // Per value: pending operations that need it, pending puts and compare-and-sets that write it,
    // and the compare-and-sets (pending or not) that write it.
    private readonly int[] _readers;
    private readonly int[] _putWriters;
    private readonly int[] _casWriters;
    private readonly int[][] _casTo;

    /// <summary>Needed values with no pending writer at all.</summary>
    private int _unwritable;

    /// <summary>Needed values with no pending put (reachable, if at all, only through compare-and-sets), and each one's place in it.</summary>
    private readonly List<int> _onlyBySwaps = [];
    private readonly int[] _onlyBySwapsAt;

    private readonly int[] _visited;
    private readonly Stack<int> _walk = new();
    private int _stamp;

    public PendingDemand(KvOperation[] ops, ulong initial)
    {
        int n = ops.Length;
        _needs = new int[n];
        _writes = new int[n];
        _swapsFrom = new int[n];
        _pending = new bool[n];
        IdOf(initial);
        for (int i = 0; i < n; i++)
        {
            KvOperation op = ops[i];
            _needs[i] = Needed(op) is ulong need ? IdOf(need) : None;
            _writes[i] = Written(op) is ulong written ? IdOf(written) : None;
            _swapsFrom[i] = _writes[i] != None && op.Kind == KvOpKind.CompareAndSet ? IdOf(op.Expected) : None;
        }
        int values = _ids.Count;
        _readers = new int[values];
        _putWriters = new int[values];
        _casWriters = new int[values];
        _visited = new int[values];
        _onlyBySwapsAt = new int[values];
        var to = new List<int>?[values];
        for (int i = 0; i < n; i++)
        {
            if (_swapsFrom[i] != None)
            {
                (to[_writes[i]] ??= []).Add(i);
            }
        }
        _casTo = new int[values][];
        for (int v = 0; v < values; v++)
        {
            _casTo[v] = to[v] is List<int> l ? [.. l] : [];
        }
        for (int i = 0; i < n; i++)
        {
            Restore(i);
        }
    }

    /// <summary>Whether, with the state <paramref name="state"/>, some needed value can no longer be reached.</summary>
    public bool Strands(ulong state)
    {
        int s = _ids.TryGetValue(state, out int id) ? id : None;
        bool stateNeeded = s != None && _readers[s] > 0;
        if (_unwritable - (stateNeeded && IsUnwritable(s) ? 1 : 0) > 0)
        {
            return true;
        }
        foreach (int v in _onlyBySwaps)
        {
            if (v != s && !Reachable(v, s))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The operation is linearized: it is no longer pending.</summary>
    public void Linearize(int op)
    {
        _pending[op] = false;
        if (_needs[op] is int r and not None)
        {
            Leave(r);
            _readers[r]--;
            Enter(r);
        }
        if (_writes[op] is int w and not None)
        {
            Leave(w);
            if (_swapsFrom[op] == None)
            {
                _putWriters[w]--;
            }
            else
            {
                _casWriters[w]--;
            }
            Enter(w);
        }
    }

    /// <summary>Undoes <see cref="Linearize"/> (also how the counts are built).</summary>
    public void Restore(int op)
    {
        _pending[op] = true;
        if (_writes[op] is int w and not None)
        {
            Leave(w);
            if (_swapsFrom[op] == None)
            {
                _putWriters[w]++;
            }
            else
            {
                _casWriters[w]++;
            }
            Enter(w);
        }
        if (_needs[op] is int r and not None)
        {
            Leave(r);
            _readers[r]++;
            Enter(r);
        }
    }

    /// <summary>
    /// Whether the key can still come to hold <paramref name="target"/> from <paramref name="state"/>:
    /// a walk back from it through the pending compare-and-sets that write a value, to the value
    /// they swap from, until the state or a value some pending put writes.
    /// </summary>
    private bool Reachable(int target, int state)
    {
        _stamp++;
        _walk.Clear();
        _visited[target] = _stamp;
        _walk.Push(target);
        while (_walk.Count > 0)
        {
            int v = _walk.Pop();
            if (v == state || _putWriters[v] > 0)
            {
                return true;
            }
            foreach (int cas in _casTo[v])
            {
                int from = _swapsFrom[cas];
                if (_pending[cas] && _visited[from] != _stamp)
                {
                    _visited[from] = _stamp;
                    _walk.Push(from);
                }
            }
        }
        return false;
    }

    private void Leave(int v)
    {
        _unwritable -= IsUnwritable(v) ? 1 : 0;
        if (IsOnlyBySwaps(v))
        {
            // Swap-remove from the list.
            int at = _onlyBySwapsAt[v], last = _onlyBySwaps[^1];
            _onlyBySwaps[at] = last;
            _onlyBySwapsAt[last] = at;
            _onlyBySwaps.RemoveAt(_onlyBySwaps.Count - 1);
        }
    }

    private void Enter(int v)
    {
        _unwritable += IsUnwritable(v) ? 1 : 0;
        if (IsOnlyBySwaps(v))
        {
            _onlyBySwapsAt[v] = _onlyBySwaps.Count;
            _onlyBySwaps.Add(v);
        }
    }

    private bool IsUnwritable(int v) => _readers[v] > 0 && _putWriters[v] == 0 && _casWriters[v] == 0;

    private bool IsOnlyBySwaps(int v) => _readers[v] > 0 && _putWriters[v] == 0;

    private int IdOf(ulong v)
    {
        if (!_ids.TryGetValue(v, out int id))
        {
            id = _ids.Count;
            _ids[v] = id;
        }
        return id;
    }

    /// <summary>The value a completed operation needs the state to hold when it takes effect.</summary>
    private static ulong? Needed(in KvOperation op) => op.Unknown ? null : op.Kind switch
    {
        KvOpKind.Get => op.Output,
        KvOpKind.CompareAndSet when op.Output == 1 => op.Expected,
        _ => null,
    };

    /// <summary>The value an operation writes if it changes the state (an unknown compare-and-set may).</summary>
    private static ulong? Written(in KvOperation op) => op.Kind switch
    {
        KvOpKind.Put => op.Value,
        KvOpKind.CompareAndSet when op.Unknown || op.Output == 1 => op.Value,
        _ => null,
    };
}
