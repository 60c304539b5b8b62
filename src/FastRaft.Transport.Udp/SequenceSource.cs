namespace FastRaft.Transport.Udp;

/// <summary>
/// Increasing numbers that keep increasing across restarts of the process: the high bits are the
/// milliseconds since 2024 at construction, the low <see cref="CounterBits"/> count up from there.
/// A restarted sender therefore starts above everything it sent before (unless it sent more than
/// 2^24 numbers per millisecond of uptime), so receivers' replay windows accept it at once.
/// Used for datagram sequence numbers and transfer ids. Thread-safe.
/// </summary>
internal sealed class SequenceSource
{
    public const int CounterBits = 24;

    private static readonly DateTime Epoch = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private long _last;

    // The wall clock, not UdpTransportOptions.Time: the start must exceed what this node sent in
    // its previous life, as peers' replay windows remember it, which a test or simulation clock
    // (restarting at its own epoch) cannot promise. It measures no duration.
    public SequenceSource()
        : this((ulong)Math.Max(0, (DateTime.UtcNow - Epoch).Ticks / TimeSpan.TicksPerMillisecond) << CounterBits)
    {
    }

    public SequenceSource(ulong start)
    {
        _last = (long)start;
    }

    public ulong Next() => (ulong)Interlocked.Increment(ref _last);
}
