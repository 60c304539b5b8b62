namespace FastRaft.Simulation;

/// <summary>
/// The one random source of a simulation run: xoshiro256** seeded through SplitMix64. It derives
/// from <see cref="Random"/> so the same instance can be injected into every RawNode (election
/// timeouts), which keeps a whole run a function of its seed. Every public virtual member of
/// <see cref="Random"/> is overridden, so the base class's own generator is never consulted.
/// </summary>
public sealed class SimRandom : Random
{
    private ulong _s0, _s1, _s2, _s3;

    public SimRandom(ulong seed) : base(0)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>How many values have been drawn; part of the run's fingerprint.</summary>
    public long Draws { get; private set; }

    public ulong NextUInt64()
    {
        Draws++;
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A value in [0, bound) without modulo bias (Lemire's method).</summary>
    public ulong NextBelow(ulong bound)
    {
        if (bound <= 1)
        {
            return 0;
        }
        ulong threshold = (0 - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            UInt128 m = (UInt128)r * bound;
            if ((ulong)m >= threshold)
            {
                return (ulong)(m >> 64);
            }
        }
    }

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => p > 0 && NextDouble() < p;

    /// <summary>An integer in [lo, hi] (inclusive).</summary>
    public long Between(long lo, long hi) => lo + (long)NextBelow((ulong)(hi - lo + 1));

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    public override int Next() => (int)NextBelow(int.MaxValue);

    public override int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (int)NextBelow((ulong)maxValue);
    }

    public override int Next(int minValue, int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        return minValue + (int)NextBelow((ulong)((long)maxValue - minValue));
    }

    public override long NextInt64() => (long)NextBelow(long.MaxValue);

    public override long NextInt64(long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (long)NextBelow((ulong)maxValue);
    }

    public override long NextInt64(long minValue, long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        return minValue + (long)NextBelow((ulong)(maxValue - minValue));
    }

    public override double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public override float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1U << 24));

    protected override double Sample() => NextDouble();

    public override void NextBytes(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        NextBytes(buffer.AsSpan());
    }

    public override void NextBytes(Span<byte> buffer)
    {
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] = (byte)NextUInt64();
        }
    }

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        ulong z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
