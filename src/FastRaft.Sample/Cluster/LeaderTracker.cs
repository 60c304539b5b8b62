using System.Collections.Concurrent;
using System.Diagnostics;
using FastRaft.Hosting;
using FastRaft.Protocol;

namespace FastRaft.Sample.Cluster;

/// <summary>
/// Watches the leadership events of a cluster's running nodes and adds up the time no running
/// node led (after the first election, which is reported on its own). Also queues a line per
/// notable event for the console. Thread-safe: events arrive on the node threads.
/// </summary>
public sealed class LeaderTracker
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, bool> _leading = [];
    private readonly long _start = Stopwatch.GetTimestamp();
    private long _leaderlessSince;
    private long _leaderlessTicks;
    private TimeSpan? _firstLeader;
    private ulong _lastLeader;
    private int _changes;

    /// <summary>Events ("node 2 is leader (term 3)") for the console, oldest first, with when they happened (see <see cref="Elapsed"/>).</summary>
    public ConcurrentQueue<(TimeSpan At, string What)> Events { get; } = new();

    /// <summary>How long after the tracker started the first leader was elected (null: none yet).</summary>
    public TimeSpan? FirstLeader
    {
        get
        {
            lock (_gate)
            {
                return _firstLeader;
            }
        }
    }

    /// <summary>Leader changes after the first election.</summary>
    public int Changes
    {
        get
        {
            lock (_gate)
            {
                return _changes;
            }
        }
    }

    /// <summary>Time without a leader among the running nodes since the first election (the current stretch included).</summary>
    public TimeSpan Leaderless
    {
        get
        {
            lock (_gate)
            {
                long ticks = _leaderlessTicks;
                if (_leaderlessSince != 0)
                {
                    ticks += Stopwatch.GetTimestamp() - _leaderlessSince;
                }
                return Stopwatch.GetElapsedTime(0, ticks);
            }
        }
    }

    /// <summary>Time since the tracker was created (the cluster's clock for the console).</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_start);

    /// <summary>A node's leadership event (subscribe it to <see cref="RaftNode{TResult}.LeadershipChanged"/>).</summary>
    public void OnChange(ulong node, LeadershipChange change)
    {
        lock (_gate)
        {
            if (!_leading.ContainsKey(node))
            {
                return;
            }
            bool leads = change.Role == NodeRole.Leader;
            if (leads && !_leading[node])
            {
                Events.Enqueue((Elapsed, $"node {node} is leader (term {change.Term})"));
            }
            _leading[node] = leads;
            Update();
        }
    }

    /// <summary>The node runs (and may lead from now on).</summary>
    public void OnStarted(ulong node)
    {
        lock (_gate)
        {
            _leading[node] = false;
        }
    }

    /// <summary>The node stopped: it leads no more.</summary>
    public void OnStopped(ulong node)
    {
        lock (_gate)
        {
            _leading.Remove(node);
            Update();
        }
    }

    private void Update()
    {
        ulong leader = 0;
        foreach ((ulong id, bool leads) in _leading)
        {
            if (leads)
            {
                leader = id;
            }
        }
        long now = Stopwatch.GetTimestamp();
        if (leader == 0)
        {
            if (_firstLeader is not null && _leaderlessSince == 0)
            {
                _leaderlessSince = now;
            }
            return;
        }
        if (_firstLeader is null)
        {
            _firstLeader = Stopwatch.GetElapsedTime(_start, now);
        }
        else if (leader != _lastLeader)
        {
            _changes++;
        }
        _lastLeader = leader;
        if (_leaderlessSince != 0)
        {
            _leaderlessTicks += now - _leaderlessSince;
            _leaderlessSince = 0;
        }
    }
}
