namespace FastRaft.Simulation.Linearizability;

/// <summary>
/// The search for a linearization of one key's (reduced) history: Wing &amp; Gong's depth-first
/// search over which operation takes effect next, with Lowe's just-in-time event list and
/// memoization of (linearized set, state), as Porcupine does it. On top of that, four rules cut
/// the branching; each keeps the search complete because, whenever a configuration has a
/// linearization, it has one that starts with an operation the rule still tries:
/// <list type="bullet">
/// <item>Reads first: a callable read-only operation (a get, a failed compare-and-set) that
/// agrees with the state is linearized at once and nothing else is tried. Moving it to the front
/// of any linearization keeps that a linearization: it changes no state, and being callable, no
/// remaining operation returned before it was invoked.</item>
/// <item>Interchangeable operations: of callable operations with the same effect in every state
/// (same kind, value, expected value and result), only one with the earliest return is tried.
/// If a linearization starts with another one, B, swapping B with that one, A, is still a
/// linearization: the states do not change, A may go first (it is callable), and B may go where A
/// was because every operation before that point was invoked before A returned, so before B did.</item>
/// <item>Stranded reads: a step after which some completed operation needs a value the key can
/// no longer take (see <see cref="PendingDemand"/>) leads nowhere.</item>
/// <item>Unknown no-ops wait: an operation of unknown outcome is never linearized where it would
/// leave the state unchanged (it can move to the end instead), and once only operations of unknown
/// outcome remain, they all go at the end: the history is linearizable.</item>
/// </list>
/// </summary>
internal sealed class KeySearch
{
    private const int Head = 0;
    private const int End = -1;

    private readonly KvOperation[] _ops;
    private readonly ulong _initial;
    private readonly int[] _classOf;
    private readonly int[] _classStamp;
    private int _stamp;

    // Lowe's list: node 2i+1 is the call of operation i, node 2i+2 its return; node 0 is the head.
    private readonly int[] _next;
    private readonly int[] _prev;

    private readonly LinearizedSet _linearized;
    private readonly PendingDemand _demand;
    private readonly VisitedConfigurations _visited = new();

    // The path: frame d linearized _frameOp[d] (none at the root) in _frameState[d], and tries the
    // choices _choices[_frameStart[d] .. _frameEnd[d]) from _frameCursor[d] on.
    private readonly int[] _frameOp;
    private readonly ulong[] _frameState;
    private readonly int[] _frameStart;
    private readonly int[] _frameEnd;
    private readonly int[] _frameCursor;
    private int[] _choices;
    private readonly int[] _candidates;
    private readonly long[] _candidateReturn;

    private readonly int[] _longest;
    private int _longestLength;

    public KeySearch(KvOperation[] ops, ulong initial)
    {
        _ops = ops;
        _initial = initial;
        int n = ops.Length;
        _classOf = InterchangeableClasses(ops, out int classes);
        _classStamp = new int[classes];
        _next = new int[2 * n + 1];
        _prev = new int[2 * n + 1];
        _linearized = new LinearizedSet(n);
        _demand = new PendingDemand(ops, initial);
        _frameOp = new int[n + 1];
        _frameState = new ulong[n + 1];
        _frameStart = new int[n + 1];
        _frameEnd = new int[n + 1];
        _frameCursor = new int[n + 1];
        _choices = new int[Math.Max(16, 2 * n)];
        _candidates = new int[n];
        _candidateReturn = new long[n];
        _longest = new int[n];
        BuildList();
    }

    /// <summary>Search steps taken (one per choice tried or undone).</summary>
    public long Steps { get; private set; }

    /// <summary>The longest linearizable prefix found, as indexes into the operations.</summary>
    public ReadOnlySpan<int> LongestPrefix => _longest.AsSpan(0, _longestLength);

    public LinearizabilityVerdict Run(long budget)
    {
        int remainingKnown = 0;
        foreach (KvOperation op in _ops)
        {
            remainingKnown += op.Unknown ? 0 : 1;
        }
        if (remainingKnown == 0)
        {
            return LinearizabilityVerdict.Linearizable;
        }
        ulong state = _initial;
        int depth = 0;
        _frameOp[0] = -1;
        _frameStart[0] = 0;
        _frameEnd[0] = Expand(state, 0);
        _frameCursor[0] = 0;
        while (true)
        {
            if (++Steps > budget)
            {
                return LinearizabilityVerdict.Inconclusive;
            }
            if (_frameCursor[depth] < _frameEnd[depth])
            {
                int op = _choices[_frameCursor[depth]++];
                KvModel.Step(state, _ops[op], out ulong next);
                _demand.Linearize(op);
                if (_demand.Strands(next))
                {
                    _demand.Restore(op);
                    continue;
                }
                _linearized.Add(op);
                if (!_visited.TryAdd(_linearized, next))
                {
                    _linearized.Remove(op);
                    _demand.Restore(op);
                    continue;
                }
                Lift(op);
                depth++;
                _frameOp[depth] = op;
                _frameState[depth] = state;
                state = next;
                if (!_ops[op].Unknown && --remainingKnown == 0)
                {
                    return LinearizabilityVerdict.Linearizable;
                }
                if (depth > _longestLength)
                {
                    _frameOp.AsSpan(1, depth).CopyTo(_longest);
                    _longestLength = depth;
                }
                _frameStart[depth] = _frameEnd[depth - 1];
                _frameEnd[depth] = Expand(state, _frameStart[depth]);
                _frameCursor[depth] = _frameStart[depth];
            }
            else
            {
                if (depth == 0)
                {
                    return LinearizabilityVerdict.NotLinearizable;
                }
                int op = _frameOp[depth];
                state = _frameState[depth];
                depth--;
                Unlift(op);
                _linearized.Remove(op);
                _demand.Restore(op);
                remainingKnown += _ops[op].Unknown ? 0 : 1;
            }
        }
    }

    /// <summary>
    /// Writes the operations worth trying next from <paramref name="state"/> at
    /// <paramref name="at"/> in the choice buffer; returns the end of them. Candidates are the
    /// calls before the first return in the list (nothing returned before they were invoked).
    /// </summary>
    private int Expand(ulong state, int at)
    {
        int count = 0;
        for (int ev = _next[Head]; ev != End && IsCall(ev); ev = _next[ev])
        {
            int op = OpOf(ev);
            if (KvModel.IsReadOnly(_ops[op]) && KvModel.Step(state, _ops[op], out _))
            {
                EnsureChoices(at + 1);
                _choices[at] = op;
                return at + 1;
            }
            _candidates[count] = op;
            _candidateReturn[count] = _ops[op].Return;
            count++;
        }
        // Earliest return first: the likeliest to be due next, and the representative of its class.
        Array.Sort(_candidateReturn, _candidates, 0, count);
        EnsureChoices(at + count);
        _stamp++;
        int end = at;
        for (int i = 0; i < count; i++)
        {
            int op = _candidates[i];
            int cls = _classOf[op];
            if (_classStamp[cls] == _stamp)
            {
                continue;
            }
            _classStamp[cls] = _stamp;
            if (KvModel.Step(state, _ops[op], out ulong next) && !(_ops[op].Unknown && next == state))
            {
                _choices[end++] = op;
            }
        }
        return end;
    }

    private void EnsureChoices(int size)
    {
        if (size > _choices.Length)
        {
            Array.Resize(ref _choices, Math.Max(size, 2 * _choices.Length));
        }
    }

    private static bool IsCall(int ev) => (ev & 1) == 1;

    private static int OpOf(int ev) => (ev - 1) >> 1;

    /// <summary>Numbers the classes of operations with the same effect in every state.</summary>
    private static int[] InterchangeableClasses(KvOperation[] ops, out int classes)
    {
        var ids = new Dictionary<(KvOpKind, ulong, ulong, ulong, bool), int>();
        var classOf = new int[ops.Length];
        for (int i = 0; i < ops.Length; i++)
        {
            KvOperation op = ops[i];
            // What Step reads: a get its output; a put its value; a compare-and-set its expected
            // and new values and, when known, its result.
            (KvOpKind, ulong, ulong, ulong, bool) key = op.Kind switch
            {
                KvOpKind.Get => (op.Kind, 0, 0, op.Output, false),
                KvOpKind.Put => (op.Kind, op.Value, 0, 0, false),
                _ => (op.Kind, op.Value, op.Expected, op.Unknown ? 0 : op.Output, op.Unknown),
            };
            if (!ids.TryGetValue(key, out int id))
            {
                id = ids.Count;
                ids[key] = id;
            }
            classOf[i] = id;
        }
        classes = ids.Count;
        return classOf;
    }

    private void BuildList()
    {
        int n = _ops.Length;
        var events = new int[2 * n];
        for (int i = 0; i < n; i++)
        {
            events[2 * i] = 2 * i + 1;
            events[2 * i + 1] = 2 * i + 2;
        }
        // By time; at equal times calls first, so touching intervals count as concurrent.
        Array.Sort(events, (a, b) =>
        {
            int c = TimeOf(a).CompareTo(TimeOf(b));
            if (c != 0)
            {
                return c;
            }
            if (IsCall(a) != IsCall(b))
            {
                return IsCall(a) ? -1 : 1;
            }
            return a.CompareTo(b);
        });
        int prev = Head;
        foreach (int ev in events)
        {
            _next[prev] = ev;
            _prev[ev] = prev;
            prev = ev;
        }
        _next[prev] = End;
    }

    private long TimeOf(int ev) => IsCall(ev) ? _ops[OpOf(ev)].Call : _ops[OpOf(ev)].Return;

    /// <summary>Takes an operation's call and return out of the list (it is linearized).</summary>
    private void Lift(int op)
    {
        Unlink(2 * op + 1);
        Unlink(2 * op + 2);
    }

    /// <summary>Puts them back, in the reverse order: the list is exactly as before the lift.</summary>
    private void Unlift(int op)
    {
        Relink(2 * op + 2);
        Relink(2 * op + 1);
    }

    private void Unlink(int ev)
    {
        _next[_prev[ev]] = _next[ev];
        if (_next[ev] != End)
        {
            _prev[_next[ev]] = _prev[ev];
        }
    }

    private void Relink(int ev)
    {
        _next[_prev[ev]] = ev;
        if (_next[ev] != End)
        {
            _prev[_next[ev]] = ev;
        }
    }
}
