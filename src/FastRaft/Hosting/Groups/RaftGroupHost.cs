using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using FastRaft.Core.Storage;
using FastRaft.Hosting.Agents;

namespace FastRaft.Hosting.Groups;

/// <summary>
/// Drives many Raft groups of one process on a few runner threads
/// (<see cref="RaftGroupHostOptions.RunnerThreads"/>, each a <see cref="CompositeAgentRunner"/>),
/// not a thread per group. Groups are identified by a group id, created and removed at run time;
/// each keeps its own node, storage and state machine, and either its own transport or a view
/// of the host's one shared transport (one per process: node id = process; see
/// <see cref="RaftGroupHost(RaftGroupHostOptions, ITransport)"/>).
/// </summary>
/// <remarks>
/// <para>
/// A new group goes to the runner with the fewest groups of this host (the lowest index on a
/// tie): round-robin while groups are only added, and a runner that lost groups to removals is
/// refilled first, so the threads stay evenly loaded. (Hashing the group id would place groups
/// without state, but removals would leave threads unevenly loaded.)
/// </para>
/// <para>
/// Create and remove may be called from any thread; they are serialized by a lock (they are not
/// a hot path). <see cref="TryGetGroup"/> and <see cref="GroupCount"/> take no lock. A group
/// stopped other than through <see cref="RemoveGroupAsync"/> (its node's StopAsync, or a fault)
/// leaves its runner but keeps its id until removed.
/// </para>
/// </remarks>
public sealed partial class RaftGroupHost : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<ulong, HostedGroup> _groups = new();
    private readonly CompositeAgentRunner[] _runners;
    private readonly int[] _groupsPerRunner;

    /// <summary>The first runner groups go to: 1 when runner 0 carries the transport hub alone.</summary>
    private readonly int _firstGroupRunner;
    private readonly GroupTransportHub? _hub;
    private bool _disposed;

    /// <summary>Starts the host's runner threads (they idle until groups are created). Each group brings its own transport.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="RaftGroupHostOptions.RunnerThreads"/> is below 1.</exception>
    /// <exception cref="ArgumentException">A required option is null or empty.</exception>
    public RaftGroupHost()
        : this((RaftGroupHostOptions?)null)
    {
    }

    /// <summary>Starts the host's runner threads with <paramref name="options"/> (null: the defaults). Each group brings its own transport.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="RaftGroupHostOptions.RunnerThreads"/> is below 1.</exception>
    /// <exception cref="ArgumentException">A required option is null or empty.</exception>
    public RaftGroupHost(RaftGroupHostOptions? options)
    {
        Options = CheckOptions(options ?? new RaftGroupHostOptions(), shared: false);
        (_runners, _groupsPerRunner) = StartRunners(Options);
        _meter = CreateMeter();
    }

    /// <summary>
    /// Starts a host whose groups all share <paramref name="transport"/> (the process's one
    /// transport, for this node): messages carry their group id, messages for one peer node from
    /// every group leave together, heartbeats are coalesced per node and node liveness is tracked
    /// (<see cref="Liveness"/>). The host owns the transport: it starts it now and disposes it
    /// with the host (also when this constructor throws). Create groups with <see cref="CreateGroup{TResult}(ulong, RaftNodeOptions, IRaftStorage, IStateMachine{TResult})"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="RaftGroupHostOptions.RunnerThreads"/> is below 1, or the liveness timing is not positive and increasing.</exception>
    /// <exception cref="ArgumentException">A required option is null or empty.</exception>
    public RaftGroupHost(RaftGroupHostOptions options, ITransport transport)
        : this(options, transport, null, shared: true)
    {
    }

    /// <summary>
    /// As <see cref="RaftGroupHost(RaftGroupHostOptions, ITransport)"/>, with a log shared by every
    /// group (<paramref name="sharedLog"/>, which the groups' storages write into): before any
    /// cycle's messages leave, the host syncs it once if it has unsynced writes, so nothing
    /// leaves the process before the writes it depends on are durable.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="RaftGroupHostOptions.RunnerThreads"/> is below 1, or the liveness timing is not positive and increasing.</exception>
    /// <exception cref="ArgumentException">A required option is null or empty.</exception>
    public RaftGroupHost(RaftGroupHostOptions options, ITransport transport, IGroupCommit sharedLog)
        : this(options, transport, sharedLog ?? throw new ArgumentNullException(nameof(sharedLog)), shared: true)
    {
    }

    private RaftGroupHost(RaftGroupHostOptions options, ITransport transport, IGroupCommit? sharedLog, bool shared)
    {
        ArgumentNullException.ThrowIfNull(transport);
        try
        {
            ArgumentNullException.ThrowIfNull(options);
            Options = CheckOptions(options, shared);
        }
        catch
        {
            // The host owns the transport from the call on, also when it refuses to start.
            transport.Dispose();
            throw;
        }
        (_runners, _groupsPerRunner) = StartRunners(Options);
        _firstGroupRunner = Options.DedicatedTransportRunner && _runners.Length > 1 ? 1 : 0;
        var hub = new GroupTransportHub(transport, sharedLog, Options, _runners[0].WaitSource);
        try
        {
            hub.Open();
            // Interleaved: it also runs between the groups' duty cycles, so messages move more
            // than once per pass when thousands of groups are busy on the same thread.
            _runners[0].AddInterleaved(hub);
        }
        catch
        {
            foreach (CompositeAgentRunner runner in _runners)
            {
                runner.Dispose();
            }
            transport.Dispose();
            throw;
        }
        _hub = hub;
        _meter = CreateMeter();
    }

    private static RaftGroupHostOptions CheckOptions(RaftGroupHostOptions options, bool shared)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RunnerThreads, 1, "options.RunnerThreads");
        if (options.IdleStrategy is null || options.Time is null || string.IsNullOrWhiteSpace(options.Name))
        {
            throw new ArgumentException("RaftGroupHostOptions: IdleStrategy, Time and Name are required", nameof(options));
        }
        if (shared)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.LivenessInterval, TimeSpan.Zero, "options.LivenessInterval");
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.LivenessTimeout, options.LivenessInterval, "options.LivenessTimeout");
        }
        return options;
    }

    private static (CompositeAgentRunner[] Runners, int[] GroupsPerRunner) StartRunners(RaftGroupHostOptions options)
    {
        var runners = new CompositeAgentRunner[options.RunnerThreads];
        for (int i = 0; i < runners.Length; i++)
        {
            runners[i] = new CompositeAgentRunner($"{options.Name}-{i}", options.IdleStrategy());
            runners[i].Start();
        }
        return (runners, new int[runners.Length]);
    }

    /// <summary>The options the host runs with.</summary>
    public RaftGroupHostOptions Options { get; }

    /// <summary>Groups the host holds now, including any being removed.</summary>
    public int GroupCount => _groups.Count;

    /// <summary>The host's runners (for tests: one thread each).</summary>
    internal IReadOnlyList<CompositeAgentRunner> Runners => _runners;

    /// <summary>The shared transport's hub (null when each group has its own transport).</summary>
    internal GroupTransportHub? Hub => _hub;

    /// <summary>
    /// With a shared transport: which peer nodes this process hears from (any message, or the
    /// host's liveness pings, within <see cref="RaftGroupHostOptions.LivenessTimeout"/>); for
    /// groups that stop ticking while idle. Null when each group has its own transport.
    /// </summary>
    public INodeLiveness? Liveness => _hub;

    /// <summary>With a shared transport: what its hub has routed, sent and dropped so far (a snapshot); null otherwise.</summary>
    public GroupTransportCounters? TransportCounters => _hub?.Counters;

    /// <summary>
    /// Without a shared transport: builds the replica of group <paramref name="groupId"/> on this host and starts it on a
    /// runner thread (see the remarks for which). As with <see cref="RaftNode{TResult}"/>, the
    /// node owns <paramref name="transport"/> (it disposes it when it stops) and
    /// <paramref name="storage"/> stays the caller's.
    /// </summary>
    /// <param name="groupId">The group's id (non-zero), unique in this host.</param>
    /// <param name="options">The node's options: <see cref="RaftNodeOptions.Runner"/> must be null (the host chooses) and <see cref="RaftNodeOptions.Time"/> the host's clock.</param>
    /// <param name="storage">The group's log.</param>
    /// <param name="transport">How this replica reaches the group's other replicas.</param>
    /// <param name="stateMachine">The group's replicated state.</param>
    /// <returns>The running node, for requests.</returns>
    /// <exception cref="ArgumentException">The id is taken (the message names it), or the options name a runner or another clock, or are invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="groupId"/> is 0.</exception>
    /// <exception cref="InvalidOperationException">The host's groups share its transport.</exception>
    /// <exception cref="ObjectDisposedException">The host is disposed.</exception>
    public RaftNode<TResult> CreateGroup<TResult>(
        ulong groupId, RaftNodeOptions options, IRaftStorage storage, ITransport transport, IStateMachine<TResult> stateMachine)
        where TResult : struct
    {
        CheckGroup(groupId, options);
        if (_hub is not null)
        {
            throw new InvalidOperationException($"group {groupId}: this host's groups share its transport; create groups without a transport of their own");
        }
        return Place(groupId, options, storage, _ => transport, stateMachine);
    }

    /// <summary>
    /// With a shared transport: builds the replica of group <paramref name="groupId"/> on this host
    /// and starts it on a runner thread (see the remarks for which). Its messages go through the
    /// host's transport, stamped with the group id; <paramref name="storage"/> stays the caller's.
    /// </summary>
    /// <param name="groupId">The group's id (non-zero), unique in this host.</param>
    /// <param name="options">The node's options: <c>Raft.Id</c> must be the shared transport's node id (one node id per process), <see cref="RaftNodeOptions.Runner"/> null and <see cref="RaftNodeOptions.Time"/> the host's clock. With <see cref="RaftNodeOptions.QuiesceAfterTicks"/> set and no <see cref="RaftNodeOptions.Liveness"/>, the group's liveness is the host's (<see cref="Liveness"/>).</param>
    /// <param name="storage">The group's log.</param>
    /// <param name="stateMachine">The group's replicated state.</param>
    /// <returns>The running node, for requests.</returns>
    /// <exception cref="ArgumentException">The id is taken, the node id is not the transport's, or the options name a runner or another clock, or are invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="groupId"/> is 0.</exception>
    /// <exception cref="InvalidOperationException">The host was built without a shared transport.</exception>
    /// <exception cref="ObjectDisposedException">The host is disposed.</exception>
    public RaftNode<TResult> CreateGroup<TResult>(
        ulong groupId, RaftNodeOptions options, IRaftStorage storage, IStateMachine<TResult> stateMachine)
        where TResult : struct
    {
        CheckGroup(groupId, options);
        GroupTransportHub hub = _hub
            ?? throw new InvalidOperationException($"group {groupId}: this host has no shared transport; give the group a transport of its own");
        if (options.Raft.Id != hub.LocalId)
        {
            throw new ArgumentException(
                $"group {groupId}: options.Raft.Id is {options.Raft.Id} but the shared transport is node {hub.LocalId}: every group of a process runs as the process's node", nameof(options));
        }
        if (options.QuiesceAfterTicks > 0 && options.Liveness is null)
        {
            // The hub already pings every peer node for the whole process: quiesced groups use it.
            options = options with { Liveness = hub };
        }
        // Each group wakes its runner through a marked source of its own: a wake meant for one of
        // thousands of idle groups then costs the others a glance at their mark, not a question.
        return Place(
            groupId, options, storage,
            runner => hub.CreateView(groupId, _runners[runner].CreateMarkedWaitSource(runner == 0 ? hub.WaitSource : _runners[runner].WaitSource)),
            stateMachine);
    }

    private void CheckGroup(ulong groupId, RaftNodeOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfZero(groupId);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Runner is not null)
        {
            throw new ArgumentException($"group {groupId}: options.Runner must be null: the host chooses the runner", nameof(options));
        }
        if (!ReferenceEquals(options.Time, Options.Time))
        {
            throw new ArgumentException($"group {groupId}: options.Time must be the host's clock (RaftGroupHostOptions.Time)", nameof(options));
        }
    }

    /// <summary>Builds and starts the group's node on the least-loaded runner, with the transport made for that runner.</summary>
    private RaftNode<TResult> Place<TResult>(
        ulong groupId, RaftNodeOptions options, IRaftStorage storage, Func<int, ITransport> transportFor, IStateMachine<TResult> stateMachine)
        where TResult : struct
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_groups.ContainsKey(groupId))
            {
                throw new ArgumentException($"group {groupId} already exists in this host", nameof(groupId));
            }
            int runner = LeastLoadedRunner();
            ITransport transport = transportFor(runner);
            GroupLeadership leadership = WatchLeadership(groupId, options.Raft.Id, ref transport);
            RaftNode<TResult> node;
            try
            {
                // The host's meter sums every group: a group's own meter only when the host asks for it.
                node = new RaftNode<TResult>(
                    options with { Runner = _runners[runner], PublishMeter = options.PublishMeter && Options.PublishGroupMeters },
                    storage, transport, stateMachine);
                leadership.Attach(node, Options.SpreadLeaders);
                node.Start();
            }
            catch
            {
                // Never added to its runner (Start adds last): its input mark is free again.
                if (transport.WaitSource is { } source)
                {
                    _runners[runner].ReturnUnusedMark(source);
                }
                throw;
            }
            _groups[groupId] = new HostedGroup<TResult>(groupId, runner, node) { Leadership = leadership };
            _groupsPerRunner[runner]++;
            return node;
        }
    }

    /// <summary>Finds group <paramref name="groupId"/> (any thread, no lock).</summary>
    public bool TryGetGroup(ulong groupId, [MaybeNullWhen(false)] out IRaftGroup group)
    {
        if (_groups.TryGetValue(groupId, out HostedGroup? g))
        {
            group = g;
            return true;
        }
        group = null;
        return false;
    }

    /// <summary>
    /// Stops group <paramref name="groupId"/>'s node (its agent leaves its runner, its requests
    /// still outstanding fail as shutting down) and frees the id once it has stopped.
    /// </summary>
    /// <returns>True once the group is stopped and removed (also for a call that joined a removal already under way); false if the host has no such group.</returns>
    public Task<bool> RemoveGroupAsync(ulong groupId)
    {
        Task removal;
        lock (_gate)
        {
            if (!_groups.TryGetValue(groupId, out HostedGroup? group))
            {
                return Task.FromResult(false);
            }
            removal = BeginRemoval(group);
        }
        return Removed(removal);
    }

    /// <summary>Stops every group, then the runner threads, then the host's meter. Faults groups died of are not rethrown.</summary>
    public async ValueTask DisposeAsync()
    {
        var removals = new List<Task>();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            foreach (HostedGroup group in _groups.Values)
            {
                removals.Add(BeginRemoval(group));
            }
        }
        try
        {
            await Task.WhenAll(removals).ConfigureAwait(false);
            foreach (CompositeAgentRunner runner in _runners)
            {
                runner.Stop();
            }
            foreach (CompositeAgentRunner runner in _runners)
            {
                await runner.Completion.ConfigureAwait(false);
                runner.Dispose();
            }
        }
        finally
        {
            _meter.Dispose();
        }
    }

    private static async Task<bool> Removed(Task removal)
    {
        await removal.ConfigureAwait(false);
        return true;
    }

    /// <summary>The group's removal, begun by the first caller (under the lock).</summary>
    private Task BeginRemoval(HostedGroup group)
    {
        // On the thread pool: the removal ends by taking the lock, which must not happen inline
        // here, while the caller holds it.
        return group.Removal ??= Task.Run(() => StopAndForgetAsync(group));
    }

    private async Task StopAndForgetAsync(HostedGroup group)
    {
        try
        {
            await group.DisposeNodeAsync().ConfigureAwait(false);
        }
        finally
        {
            // The node has completed, one way or the other: its id and runner slot are free.
            lock (_gate)
            {
                // With its final counts kept, so the host meter's sums never go down.
                RetireCounters(group);
                _groups.TryRemove(group.GroupId, out _);
                _groupsPerRunner[group.Runner]--;
            }
        }
    }

    private int LeastLoadedRunner()
    {
        int best = _firstGroupRunner;
        for (int i = best + 1; i < _groupsPerRunner.Length; i++)
        {
            if (_groupsPerRunner[i] < _groupsPerRunner[best])
            {
                best = i;
            }
        }
        return best;
    }
}
