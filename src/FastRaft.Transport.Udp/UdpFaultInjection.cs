namespace FastRaft.Transport.Udp;

/// <summary>
/// Test only: makes the transport's outbound datagrams misbehave like a bad network, from a
/// seed, so tests are repeatable. Bounded: at most one datagram is held back for reordering, and
/// it leaves with the next datagram sent or at the next housekeeping tick.
/// </summary>
public sealed record UdpFaultInjection
{
    /// <summary>Seed of the random choices, so a run's faults repeat exactly.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Probability that any datagram is lost.</summary>
    public double LossRate { get; init; }

    private double _chunkLossRate;

    /// <summary>Probability that a chunk datagram is lost (on top of <see cref="LossRate"/>).</summary>
    public double ChunkLossRate { get => Volatile.Read(ref _chunkLossRate); init => _chunkLossRate = value; }

    /// <summary>Probability that a datagram is sent twice.</summary>
    public double DuplicateRate { get; init; }

    /// <summary>Probability that a datagram is held back and sent after the next one.</summary>
    public double ReorderRate { get; init; }

    /// <summary>Test hook: changes the chunk loss of a running transport (e.g. to let a stalled transfer through).</summary>
    internal void ChangeChunkLossRate(double rate) => Volatile.Write(ref _chunkLossRate, rate);

    internal string? Validate()
    {
        foreach (double p in (ReadOnlySpan<double>)[LossRate, ChunkLossRate, DuplicateRate, ReorderRate])
        {
            if (p is < 0 or > 1 || double.IsNaN(p))
            {
                return "fault injection rates must be between 0 and 1";
            }
        }
        return null;
    }
}
