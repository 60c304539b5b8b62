namespace FastRaft.Simulation.Linearizability;

public enum LinearizabilityVerdict
{
    Linearizable,
    NotLinearizable,

    /// <summary>The search exceeded its budget without deciding.</summary>
    Inconclusive,
}

/// <summary>The checker's answer; on failure, the key whose history has no linearization.</summary>
public sealed record LinearizabilityResult(LinearizabilityVerdict Verdict, int Key, IReadOnlyList<KvOperation> KeyHistory, IReadOnlyList<KvOperation> LongestPrefix)
{
    public bool Ok => Verdict == LinearizabilityVerdict.Linearizable;
}

/// <summary>
/// Decides whether a history of key-value operations is linearizable: the Wing &amp; Gong search
/// with Lowe's memoization of (linearized set, state) as Porcupine implements it. Keys are
/// independent objects (linearizability is compositional), so each key is checked on its own.
/// </summary>
public static class LinearizabilityChecker
{
    /// <summary>Search steps allowed per key before the answer is Inconclusive.</summary>
    public const long DefaultBudget = 20_000_000;

    public static LinearizabilityResult Check(IReadOnlyList<KvOperation> history, long budgetPerKey = DefaultBudget)
    {
        ArgumentNullException.ThrowIfNull(history);
        var byKey = new SortedDictionary<int, List<KvOperation>>();
        foreach (KvOperation op in history)
        {
            if (!byKey.TryGetValue(op.Key, out List<KvOperation>? ops))
            {
                ops = [];
                byKey[op.Key] = ops;
            }
            ops.Add(op);
        }
        LinearizabilityResult? inconclusive = null;
        foreach ((int key, List<KvOperation> ops) in byKey)
        {
            LinearizabilityResult r = new KeySearch(ops, budgetPerKey).Run(key);
            if (r.Verdict == LinearizabilityVerdict.NotLinearizable)
            {
                return r;
            }
            if (r.Verdict == LinearizabilityVerdict.Inconclusive)
            {
                inconclusive ??= r;
            }
        }
        return inconclusive ?? new LinearizabilityResult(LinearizabilityVerdict.Linearizable, -1, [], []);
    }

    /// <summary>A call or return event in the doubly linked list the search lifts operations out of.</summary>
    private sealed class Event(int op, bool isCall, long time)
    {
        public readonly int Op = op;
        public readonly bool IsCall = isCall;
        public readonly long Time = time;
        public Event? Match;
        public Event? Prev;
        public Event? Next;
    }

    private sealed class KeySearch(List<KvOperation> ops, long budget)
    {
        private readonly Event _head = new(-1, false, long.MinValue);

        public LinearizabilityResult Run(int key)
        {
            BuildList();
            int n = ops.Count;
            var linearized = new Bitset(n);
            var cache = new HashSet<CacheKey>();
            var stack = new Stack<(Event Call, ulong StateBefore)>();
            ulong state = KvModel.Initial;
            int longest = 0;
            int[] longestPrefix = [];
            long steps = 0;
            Event? e = _head.Next;
            while (_head.Next is not null)
            {
                if (++steps > budget)
                {
                    return new LinearizabilityResult(LinearizabilityVerdict.Inconclusive, key, ops, []);
                }
                if (e!.IsCall)
                {
                    if (KvModel.Step(state, ops[e.Op], out ulong next))
                    {
                        linearized.Set(e.Op);
                        if (cache.Add(new CacheKey(linearized.Clone(), next)))
                        {
                            stack.Push((e, state));
                            state = next;
                            Lift(e);
                            if (stack.Count > longest)
                            {
                                longest = stack.Count;
                                longestPrefix = PrefixOf(stack);
                            }
                            e = _head.Next;
                            continue;
                        }
                        linearized.Clear(e.Op);
                    }
                    e = e.Next;
                }
                else
                {
                    // A return whose call is still in the list: nothing before it can be
                    // linearized next, so undo the last choice.
                    if (stack.Count == 0)
                    {
                        var prefix = new List<KvOperation>(longestPrefix.Length);
                        foreach (int i in longestPrefix)
                        {
                            prefix.Add(ops[i]);
                        }
                        return new LinearizabilityResult(LinearizabilityVerdict.NotLinearizable, key, ops, prefix);
                    }
                    (Event call, ulong before) = stack.Pop();
                    state = before;
                    linearized.Clear(call.Op);
                    Unlift(call);
                    e = call.Next;
                }
            }
            return new LinearizabilityResult(LinearizabilityVerdict.Linearizable, key, ops, []);
        }

        private static int[] PrefixOf(Stack<(Event Call, ulong StateBefore)> stack)
        {
            var a = new int[stack.Count];
            int i = a.Length - 1;
            foreach ((Event call, _) in stack)
            {
                a[i--] = call.Op;
            }
            return a;
        }

        private void BuildList()
        {
            var events = new List<Event>(ops.Count * 2);
            for (int i = 0; i < ops.Count; i++)
            {
                var call = new Event(i, true, ops[i].Call);
                var ret = new Event(i, false, ops[i].Return);
                call.Match = ret;
                events.Add(call);
                events.Add(ret);
            }
            // By time; at equal times calls come first, so touching intervals count as concurrent.
            events.Sort(static (a, b) =>
            {
                int c = a.Time.CompareTo(b.Time);
                if (c != 0)
                {
                    return c;
                }
                if (a.IsCall != b.IsCall)
                {
                    return a.IsCall ? -1 : 1;
                }
                return a.Op.CompareTo(b.Op);
            });
            Event prev = _head;
            foreach (Event ev in events)
            {
                prev.Next = ev;
                ev.Prev = prev;
                prev = ev;
            }
        }

        private static void Lift(Event call)
        {
            call.Prev!.Next = call.Next;
            call.Next!.Prev = call.Prev;
            Event ret = call.Match!;
            ret.Prev!.Next = ret.Next;
            if (ret.Next is not null)
            {
                ret.Next.Prev = ret.Prev;
            }
        }

        private static void Unlift(Event call)
        {
            Event ret = call.Match!;
            ret.Prev!.Next = ret;
            if (ret.Next is not null)
            {
                ret.Next.Prev = ret;
            }
            call.Prev!.Next = call;
            call.Next!.Prev = call;
        }
    }

    private sealed class Bitset
    {
        private readonly ulong[] _words;

        public Bitset(int bits) => _words = new ulong[(bits + 63) / 64];

        private Bitset(ulong[] words) => _words = words;

        public void Set(int i) => _words[i >> 6] |= 1UL << (i & 63);

        public void Clear(int i) => _words[i >> 6] &= ~(1UL << (i & 63));

        public Bitset Clone() => new((ulong[])_words.Clone());

        public bool SameAs(Bitset other) => _words.AsSpan().SequenceEqual(other._words);

        public ulong Hash()
        {
            ulong h = Fnv.Offset;
            foreach (ulong w in _words)
            {
                h = Fnv.Mix(h, w);
            }
            return h;
        }
    }

    private readonly struct CacheKey(Bitset linearized, ulong state) : IEquatable<CacheKey>
    {
        private readonly Bitset _linearized = linearized;
        private readonly ulong _state = state;
        private readonly ulong _hash = Fnv.Mix(linearized.Hash(), state);

        public bool Equals(CacheKey other) => _hash == other._hash && _state == other._state && _linearized.SameAs(other._linearized);

        public override bool Equals(object? obj) => obj is CacheKey k && Equals(k);

        public override int GetHashCode() => (int)(_hash ^ (_hash >> 32));
    }
}
