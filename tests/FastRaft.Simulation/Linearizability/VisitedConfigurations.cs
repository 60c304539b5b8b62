namespace FastRaft.Simulation.Linearizability;

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
