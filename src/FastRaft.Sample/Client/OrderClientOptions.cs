using System.Net;
using FastRaft.Sample.Matching;

namespace FastRaft.Sample.Client;

/// <summary>How an <see cref="OrderClient"/> drives a cluster.</summary>
public sealed class OrderClientOptions
{
    /// <summary>Every node's client-port address by node id.</summary>
    public required IReadOnlyDictionary<ulong, IPEndPoint> Nodes { get; init; }

    /// <summary>The instruments to trade.</summary>
    public required IReadOnlyList<Instrument> Instruments { get; init; }

    /// <summary>Concurrent sessions, each a client id with one command in flight (closed loop).</summary>
    public int Sessions { get; init; } = 32;

    /// <summary>Seeds the sessions' order flows.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>
    /// Makes this run's client ids unique (client id = run id × 65,536 + session number), so a
    /// second run against the same cluster does not look like stale resends of the first.
    /// </summary>
    public ulong RunId { get; init; } = 1 + (ulong)Random.Shared.NextInt64(1L << 46);

    /// <summary>A request with no answer for this long is resent (to another node if the silent one was taken for the leader).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Wait before resending after NotLeader without a hint, or Unavailable.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>After the run, how long unanswered commands are still resent before they are reported unresolved.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    internal string? Validate()
    {
        if (Nodes is null || Nodes.Count == 0)
        {
            return "at least one node address is needed";
        }
        if (Sessions is < 1 or > 4096)
        {
            return "sessions must be between 1 and 4096";
        }
        if (RunId is 0 or >= 1UL << 47)
        {
            return "the run id must be in 1..2^47";
        }
        return AttemptTimeout <= TimeSpan.Zero || RetryDelay < TimeSpan.Zero || DrainTimeout < TimeSpan.Zero
            ? "timeouts must be positive"
            : null;
    }
}
