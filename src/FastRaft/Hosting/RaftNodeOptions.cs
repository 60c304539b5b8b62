using FastRaft.Core;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.Idle;
using Microsoft.Extensions.Logging;

namespace FastRaft.Hosting;

/// <summary>How a <see cref="RaftNode{TResult}"/> (or a <see cref="RaftNodeAgent{TResult}"/>) runs its node.</summary>
public sealed record RaftNodeOptions
{
    /// <summary>Appends' size limit when neither the config nor the transport sets one.</summary>
    public const ulong DefaultMaxSizePerMsg = 1024 * 1024;

    /// <summary>
    /// The consensus parameters. The host fills in <see cref="RaftConfig.Storage"/> (the storage it
    /// is given) and <see cref="RaftConfig.Applied"/> (the storage's snapshot index, where the state
    /// machine is restored to), and what is left at 0 of:
    /// <list type="bullet">
    /// <item><see cref="RaftConfig.MaxSizePerMsg"/>: half the transport's
    /// <see cref="ITransport.MaxWholeMessageSize"/> (so appends travel whole, never split into
    /// chunks), or <see cref="DefaultMaxSizePerMsg"/> when the transport has no limit (capped by
    /// <see cref="RaftConfig.MaxInflightBytes"/> when set). A value at or above the transport's
    /// limit is kept, with a warning. The host never uses 0's core meaning, one entry per message:
    /// set 1 for that.</item>
    /// <item><see cref="RaftConfig.MaxCommittedSizePerReady"/>: the larger of MaxSizePerMsg and
    /// <see cref="DefaultMaxSizePerMsg"/> (not MaxSizePerMsg alone, the core's meaning of 0: a
    /// transport's small datagrams must not throttle applying).</item>
    /// <item><see cref="RaftConfig.SnapshotStatusTimeoutTicks"/>: twice the election timeout, so a
    /// follower is not paused forever should a snapshot's status report never arrive.</item>
    /// </list>
    /// The node works on a copy: the object given here is never changed (the node's
    /// <c>Config</c> property shows what it runs with).
    /// </summary>
    public required RaftConfig Raft { get; init; }

    /// <summary>Time per logical tick, on <see cref="Time"/>'s clock (election and heartbeat timeouts are counted in ticks).</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// The clock the node's ticks follow. The node reads no other: a test's fake clock or a
    /// simulation's virtual clock drives it entirely (with a <see cref="ManualAgentInvoker"/>).
    /// </summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// Builds the idle strategy of the node's own thread (when <see cref="Runner"/> is null).
    /// Default: spin a few microseconds after work, then block until input arrives, a request wakes
    /// the node, or the next tick is due.
    /// </summary>
    public Func<IIdleStrategy> IdleStrategy { get; init; } = static () => new ParkingIdleStrategy();

    /// <summary>
    /// Where a <see cref="RaftNode{TResult}"/> runs its agent: null (the default) for a thread of
    /// its own; a <see cref="CompositeAgentRunner"/> to share one thread among many nodes.
    /// </summary>
    public IAgentRunner? Runner { get; init; }

    /// <summary>
    /// Run the continuations of awaited requests (proposals, reads, membership changes, transfers)
    /// on the node thread, inside the duty cycle that completes them, instead of on the thread
    /// pool. Default false.
    /// <para>
    /// It saves a thread-pool hand-off per completion, and a caller that proposes again from the
    /// continuation gets its next proposal carried out in the same cycle: the low-latency closed
    /// loop. It is safe only when continuations are short and never block: while one runs, the node
    /// (and, on a shared runner, every node of that thread) does nothing else. A continuation must
    /// never wait synchronously for the node (<c>.Result</c>, <c>Wait()</c>, or a blocking
    /// <c>StopAsync().Wait()</c>): the node cannot complete what it waits for, so it deadlocks. Code
    /// after an <c>await</c> of another kind of task, or after <c>ConfigureAwait</c> to a
    /// synchronization context, leaves the node thread as usual.
    /// </para>
    /// </summary>
    public bool RunContinuationsInline { get; init; }

    /// <summary>
    /// The voters of a brand-new cluster, used only when the storage is empty (etcd's Bootstrap).
    /// Leave null for a node joining an existing cluster: it waits, empty, until the leader adds it.
    /// </summary>
    public IReadOnlyList<ulong>? InitialMembers { get; init; }

    /// <summary>
    /// Where the host logs its own lines (snapshots not taken or refused, a handler or shutdown
    /// failure, the fault that stopped the node), under the category
    /// <see cref="Core.Logging.RaftLogCategories.Node"/>; when null, they go to
    /// <see cref="RaftConfig.Logger"/> (and nowhere when that is null too).
    /// </summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Whether the node publishes its counters as a "FastRaft.Node" meter (default true). A
    /// process of thousands of groups may turn it off: each meter holds about 3.5 KB of
    /// instruments (most of an idle group's heap) and every group's instruments would be
    /// collected. <see cref="RaftNodeAgent{TResult}.Counters"/> stays available either way. A group
    /// of a <see cref="Groups.RaftGroupHost"/> publishes it only when
    /// <see cref="Groups.RaftGroupHostOptions.PublishGroupMeters"/> is true too (the host's own
    /// meter sums its groups' counts).
    /// </summary>
    public bool PublishMeter { get; init; } = true;

    /// <summary>When to snapshot the state machine and compact the log.</summary>
    public SnapshotPolicy Snapshots { get; init; } = new();

    /// <summary>Requests (proposals, reads, changes) waiting for the node thread; beyond it requests fail as Overloaded.</summary>
    public int MaxQueuedRequests { get; init; } = 1 << 16;

    /// <summary>
    /// Inbound message batches waiting for the node thread, from a transport that delivers from a
    /// thread of its own; beyond it batches are dropped, as a network would. (What a polled
    /// transport delivers is stepped at once and never waits here.)
    /// </summary>
    public int MaxQueuedInboundBatches { get; init; } = 4096;

    /// <summary>Ticks a read may wait for its read index before failing as TimedOut (0: twice the election timeout).</summary>
    public int ReadTimeoutTicks { get; init; }

    /// <summary>Ticks a leader transfer may take before failing as TimedOut (0: twice the election timeout).</summary>
    public int TransferTimeoutTicks { get; init; }

    /// <summary>Pooled proposal and read completions kept for reuse (more in flight simply allocate).</summary>
    public int MaxPooledRequests { get; init; } = 4096;

    /// <summary>
    /// Quiescence, for processes that run many mostly idle groups (0, the default: never). A node
    /// that has had nothing to do for this many ticks stops ticking (and so stops heartbeating),
    /// and its runner no longer wakes for it, until a proposal, request or message other than a
    /// routine heartbeat arrives.
    /// <list type="bullet">
    /// <item>A leader quiesces once every entry is committed, applied and acknowledged by every
    /// peer, every peer has been sent that commit index, and no read, transfer, configuration
    /// change or snapshot is under way, throughout the last QuiesceAfterTicks ticks.</item>
    /// <item>A follower quiesces once its log is committed and applied, it has no requests of its own
    /// outstanding, and it heard nothing but heartbeats from its leader (whose node
    /// <see cref="Liveness"/> says is live) throughout the last QuiesceAfterTicks ticks. While
    /// quiesced it asks <see cref="Liveness"/> about its leader about once per election timeout, and
    /// resumes ticking (so it campaigns as usual) when the leader's node is no longer live.</item>
    /// <item>A leader's LeaseBased reads are not served from its lease after it was quiesced (it
    /// could not have noticed losing its quorum): they are confirmed by a heartbeat round until a
    /// quorum has answered one.</item>
    /// </list>
    /// Between 2 × <see cref="RaftConfig.HeartbeatTick"/> (followers hear the final commit index in
    /// a heartbeat round) and <see cref="RaftConfig.ElectionTick"/> / 2 (a follower quiesces well
    /// before its election timer could fire once the leader stops heartbeating). Requires
    /// <see cref="Liveness"/>.
    /// </summary>
    public int QuiesceAfterTicks { get; init; }

    /// <summary>
    /// Which nodes of the process's cluster are alive: required when <see cref="QuiesceAfterTicks"/>
    /// is set (a quiesced follower cannot notice its leader's death by an election timeout).
    /// </summary>
    public Groups.INodeLiveness? Liveness { get; init; }

    internal string? Validate()
    {
        if (Raft is null)
        {
            return "Raft config is required";
        }
        if (Raft.AsyncStorageWrites)
        {
            return "RaftConfig.AsyncStorageWrites is not supported by the host, which persists and applies each Ready itself: leave it false";
        }
        if (TickInterval <= TimeSpan.Zero)
        {
            return "tick interval must be positive";
        }
        if (IdleStrategy is null)
        {
            return "idle strategy factory is required";
        }
        if (Time is null)
        {
            return "time provider is required";
        }
        if (MaxQueuedRequests <= 0 || MaxQueuedInboundBatches <= 0 || MaxPooledRequests < 0)
        {
            return "queue bounds must be positive";
        }
        if (ReadTimeoutTicks < 0 || TransferTimeoutTicks < 0)
        {
            return "timeouts cannot be negative";
        }
        string? quiescence = ValidateQuiescence();
        if (quiescence is not null)
        {
            return quiescence;
        }
        return Snapshots is null ? "snapshot policy is required" : Snapshots.Validate();
    }

    private string? ValidateQuiescence()
    {
        if (QuiesceAfterTicks == 0)
        {
            return null;
        }
        if (QuiesceAfterTicks < 0)
        {
            return "QuiesceAfterTicks cannot be negative";
        }
        if (Liveness is null)
        {
            return "QuiesceAfterTicks needs Liveness: a quiesced follower learns of its leader's death from it";
        }
        int min = 2 * Raft.HeartbeatTick;
        int max = Raft.ElectionTick / 2;
        return QuiesceAfterTicks < min || QuiesceAfterTicks > max
            ? $"QuiesceAfterTicks {QuiesceAfterTicks} must be between 2 x HeartbeatTick ({min}) and ElectionTick / 2 ({max})"
            : null;
    }
}

/// <summary>
/// Snapshots are taken after applying, once enough entries or payload bytes were applied since
/// the last one; the log is then compacted up to the snapshot, keeping a tail of
/// <see cref="KeepEntries"/> entries so a slightly slow follower still catches up from the log.
/// Whatever the policy, a host whose storage holds a snapshot also takes one after applying a
/// configuration change, so a node joining later is sent a snapshot that names it.
/// </summary>
public sealed class SnapshotPolicy
{
    /// <summary>Entries applied since the last snapshot that trigger a new one (0: never by count).</summary>
    public ulong EveryEntries { get; init; }

    /// <summary>Payload bytes applied since the last snapshot that trigger a new one (0: never by size).</summary>
    public long EveryBytes { get; init; }

    /// <summary>Entries kept in the log behind a snapshot.</summary>
    public ulong KeepEntries { get; init; } = 1024;

    internal bool Enabled => EveryEntries > 0 || EveryBytes > 0;

    internal string? Validate() => EveryBytes < 0 ? "snapshot byte threshold cannot be negative" : null;
}
