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
