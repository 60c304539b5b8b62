using FastRaft.Core.Logging;
using FastRaft.Core.Storage;
using FastRaft.Protocol;

namespace FastRaft.Hosting.Applying;

/// <summary>
/// The snapshot policy (node thread only): after each Ready, snapshots the state machine once
/// enough entries or payload bytes were applied since the last snapshot, and compacts the log
/// behind it, keeping the policy's tail. Whatever the policy, when the storage already holds a
/// snapshot, a configuration change applied in the Ready is followed by a fresh snapshot: a node
/// that joins later is sent a snapshot, and the core refuses one whose configuration does not
/// include it (etcd's server sends a fresh one for the same reason).
/// </summary>
internal sealed class SnapshotScheduler<TResult> where TResult : struct
{
    /// <summary>A snapshot buffer grown beyond this is dropped after use rather than pinned between snapshots.</summary>
    private const int MaxRetainedBuffer = 1 << 20;

    private readonly ulong _nodeId;
    private readonly SnapshotPolicy _policy;
    private readonly IRaftStorage _storage;
    private readonly IStateMachine<TResult> _stateMachine;
    private readonly NodeCounters _counters;
    private readonly RaftLogger _log;
    private ulong _snapshotIndex;
    private long _bytesSinceSnapshot;
    private bool _forConfiguration;
    private MemoryStream? _buffer;

    public SnapshotScheduler(ulong nodeId, SnapshotPolicy policy, IRaftStorage storage, IStateMachine<TResult> stateMachine, NodeCounters counters, RaftLogger log, ulong snapshotIndex)
    {
        _nodeId = nodeId;
        _policy = policy;
        _storage = storage;
        _stateMachine = stateMachine;
        _counters = counters;
        _log = log;
        _snapshotIndex = snapshotIndex;
    }

    /// <summary>Normal entries carrying <paramref name="payloadBytes"/> were applied.</summary>
    public void OnApplied(int payloadBytes) => _bytesSinceSnapshot += payloadBytes;

    /// <summary>A configuration change was applied.</summary>
    public void OnConfigurationChanged() => _forConfiguration |= _snapshotIndex > 0;

    /// <summary>The state machine was restored from a snapshot at <paramref name="index"/>.</summary>
    public void OnRestored(ulong index)
    {
        _snapshotIndex = index;
        _bytesSinceSnapshot = 0;
    }

    /// <summary>After a Ready was handled and advanced: takes a snapshot at <paramref name="applied"/> when one is due.</summary>
    public void AfterReady(ulong applied, ConfState confState)
    {
        if (_policy.Enabled && Due(applied))
        {
            Take(applied, confState, compact: true);
        }
        else if (_forConfiguration)
        {
            Take(applied, confState, compact: _policy.Enabled);
        }
        _forConfiguration = false;
    }

    private bool Due(ulong applied) =>
        (_policy.EveryEntries > 0 && applied - _snapshotIndex >= _policy.EveryEntries)
        || (_policy.EveryBytes > 0 && _bytesSinceSnapshot >= _policy.EveryBytes);

    /// <summary>
    /// Snapshots the state machine at the applied index and compacts the log behind it (when
    /// <paramref name="compact"/>), keeping the configured tail. The data must be a fresh array:
    /// storage keeps it by reference.
    /// </summary>
    private void Take(ulong applied, ConfState confState, bool compact)
    {
        MemoryStream buffer = _buffer ??= new MemoryStream();
        buffer.SetLength(0);
        _stateMachine.SaveSnapshot(buffer);
        StorageStatus st = _storage.CreateSnapshot(applied, confState, buffer.ToArray(), out _);
        if (buffer.Capacity > MaxRetainedBuffer)
        {
            _buffer = null;
        }
        if (st != StorageStatus.Ok)
        {
            _log.Warning(RaftLogEvents.SnapshotProblem, $"node {_nodeId:x}: snapshot at {applied} not created: {st.Describe()}");
            return;
        }
        _counters.SnapshotsCreated++;
        _snapshotIndex = applied;
        _bytesSinceSnapshot = 0;
        ulong keep = _policy.KeepEntries;
        if (compact && applied > keep)
        {
            ulong compactIndex = applied - keep;
            if (compactIndex >= _storage.FirstIndex())
            {
                // Compacted means someone compacted further already: nothing to do.
                _storage.Compact(compactIndex);
            }
        }
    }
}
