using FastRaft.Hosting.Groups;

namespace FastRaft.Simulation;

/// <summary>
/// What one server process knows of the others' liveness, for its quiesced groups: a node is live
/// if the process heard from it (any message, or the liveness ping every server sends every
/// <c>PingInterval</c>) within the last <see cref="Timeout"/> units of simulated time. A crashed,
/// stalled or partitioned node falls silent and so stops being live. A restarted process gives
/// every node a grace period of one timeout, as it has heard from nobody yet.
/// </summary>
internal sealed class SimNodeLiveness(ulong self, Func<long> now, long timeout) : INodeLiveness
{
    private readonly Dictionary<ulong, long> _heard = [];
    private long _since;

    /// <summary>How long a node stays live without being heard from (simulation units).</summary>
    public long Timeout => timeout;

    /// <summary>The process (re)starts: it has heard from nobody; every node is live for one timeout.</summary>
    public void Reset()
    {
        _heard.Clear();
        _since = now();
    }

    /// <summary>The process read a message from <paramref name="nodeId"/>.</summary>
    public void Heard(ulong nodeId) => _heard[nodeId] = now();

    public bool IsLive(ulong nodeId)
    {
        if (nodeId == self)
        {
            return true;
        }
        long last = _heard.TryGetValue(nodeId, out long t) ? Math.Max(t, _since) : _since;
        return now() - last <= timeout;
    }
}
