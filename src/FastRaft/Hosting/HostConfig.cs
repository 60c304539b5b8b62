using FastRaft.Core;
using FastRaft.Core.Logging;
using FastRaft.Core.Storage;

namespace FastRaft.Hosting;

/// <summary>The consensus configuration a node runs with: a copy of the caller's, with what the host needs filled in.</summary>
internal static class HostConfig
{
    /// <summary>
    /// Copies <paramref name="given"/> (which stays as it is) and fills in the storage, the applied
    /// index to restart from, and what the config leaves at 0: appends sized for the transport, a
    /// batch of committed entries sized for applying, and a bound on waiting for a snapshot's
    /// status, as a safety net should a transport's report never arrive (see <see cref="RaftNodeOptions.Raft"/>).
    /// </summary>
    public static RaftConfig Effective(RaftConfig given, IRaftStorage storage, ulong applied, ITransport transport, RaftLogger log)
    {
        int whole = transport.MaxWholeMessageSize;
        ulong maxSizePerMsg = given.MaxSizePerMsg;
        if (maxSizePerMsg == 0)
        {
            ulong size = whole > 0 ? (ulong)whole / 2 : RaftNodeOptions.DefaultMaxSizePerMsg;
            maxSizePerMsg = given.MaxInflightBytes > 0 ? Math.Min(size, given.MaxInflightBytes) : size;
        }
        else if (whole > 0 && maxSizePerMsg != ulong.MaxValue && maxSizePerMsg >= (ulong)whole)
        {
            log.Warning($"node {given.Id:x}: MaxSizePerMsg {maxSizePerMsg} is not below the transport's whole-message size {whole}: appends will be split");
        }
        return given with
        {
            Storage = storage,
            Applied = applied,
            MaxSizePerMsg = maxSizePerMsg,
            // Applying is local: a small message size for the network must not throttle it.
            MaxCommittedSizePerReady = given.MaxCommittedSizePerReady == 0
                ? Math.Max(maxSizePerMsg, RaftNodeOptions.DefaultMaxSizePerMsg)
                : given.MaxCommittedSizePerReady,
            SnapshotStatusTimeoutTicks = given.SnapshotStatusTimeoutTicks == 0 ? 2 * given.ElectionTick : given.SnapshotStatusTimeoutTicks,
        };
    }

    /// <summary><paramref name="interval"/> in timestamp units of <paramref name="time"/> (at least 1), without rounding through a double.</summary>
    public static long TimestampUnits(TimeSpan interval, TimeProvider time) =>
        Math.Max(1, (long)((Int128)interval.Ticks * time.TimestampFrequency / TimeSpan.TicksPerSecond));
}
