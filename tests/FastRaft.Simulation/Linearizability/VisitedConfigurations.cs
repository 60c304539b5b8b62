namespace FastRaft.Simulation.Linearizability;

/// <summary>
/// The set of linearized operations during the search, as a bitset with an incrementally kept
/// Zobrist hash (each operation has a fixed random 64-bit code; the set's hash is the XOR of its
/// members' codes), so hashing a configuration costs nothing per step.
/// </summary>
internal sealed class LinearizedSet
{
    private readonly ulong[] _words;
    private readonly ulong[] _codes;

    public LinearizedSet(int count)
    {
        _words = new ulong[(count + 63) / 64];
        _codes = new ulong[count];
        ulong x = 0x9E3779B97F4A7C15UL;
        for (int i = 0; i < count; i++)
        {
            _codes[i] = SplitMix(ref x);
        }
    }

    public ulong Hash { get; private set; }

    /// <summary>The live words (not a copy): valid until the next Add or Remove.</summary>
    public ulong[] Words => _words;

    public void Add(int op)
    {
        _words[op >> 6] |= 1UL << (op & 63);
        Hash ^= _codes[op];
    }

    public void Remove(int op)
    {
        _words[op >> 6] &= ~(1UL << (op & 63));
        Hash ^= _codes[op];
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>
/// Lowe's memoization: every configuration (linearized set, state) the search has entered. A
/// configuration entered before either is still being explored deeper in the current path
/// (impossible: sets only grow along a path) or was fully explored without success, so it is
/// never entered again. The state is part of the key: the same set linearized in different
/// orders can leave different states.
/// </summary>
internal sealed class VisitedConfigurations
{
    private readonly HashSet<Configuration> _seen = [];

    public int Count => _seen.Count;

    /// <summary>Records the configuration; false when it was already there. Copies the set only when new.</summary>
    public bool TryAdd(LinearizedSet set, ulong state)
    {
        ulong hash = set.Hash ^ (state * 0xD6E8FEB86659FD93UL);
        if (_seen.Contains(new Configuration(hash, state, set.Words)))
        {
            return false;
        }
        _seen.Add(new Configuration(hash, state, (ulong[])set.Words.Clone()));
        return true;
    }

    private readonly struct Configuration(ulong hash, ulong state, ulong[] words) : IEquatable<Configuration>
    {
        private readonly ulong _hash = hash;
        private readonly ulong _state = state;
        private readonly ulong[] _words = words;

        public bool Equals(Configuration other) =>
            _hash == other._hash && _state == other._state && _words.AsSpan().SequenceEqual(other._words);

        public override bool Equals(object? obj) => obj is Configuration c && Equals(c);

        public override int GetHashCode() => (int)(_hash ^ (_hash >> 32));
    }
}
