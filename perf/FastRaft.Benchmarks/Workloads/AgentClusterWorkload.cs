using System.Runtime.CompilerServices;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.InMemory;
using FastRaft.Storage;

namespace FastRaft.Benchmarks.Workloads;

/// <summary>
/// A cluster as users run it, in one thread: one <see cref="RaftNodeAgent{TResult}"/> per voter
/// over an <see cref="InMemoryNetwork"/> (messages copied into pooled batches, queued and polled
/// as a real transport's would be), each with a <see cref="MemoryStorage"/> and a
/// <see cref="AppliedCounter"/> state machine, each driven by a <see cref="ManualAgentInvoker"/>
/// on the calling thread. Proposals go through <see cref="RaftNodeAgent{TResult}.ProposeAsync"/>
/// and complete with the state machine's result, so everything the host does per entry (request
/// queue, batching proposals into one MsgProp, the duty cycle, the transport, storage, applying,
/// completing) is in the measured path. A <see cref="BenchClock"/> moves while the leader is
/// elected, then stands still: no ticks in the measured loops.
/// </summary>
/// <remarks>
/// <para>
/// A "pass" runs one duty cycle of every agent, leader first. The cluster is driven three ways:
/// </para>
/// <list type="bullet">
/// <item>until quiet (<see cref="ProposeUntilQuiet"/>): a batch of proposals, then passes until
/// one does no work, by which time the batch is committed and applied on every node and every
/// proposal has completed;</item>
/// <item>streamed (<see cref="ProposeStreamed"/>): a batch of proposals, then one pass (more only
/// while a node lags more than a batch), so each leader cycle appends the new batch and commits
/// the previous one, as in a busy server;</item>
/// <item>closed loop (<see cref="ProposeClosedLoop"/>, with <see cref="RaftNodeOptions.RunContinuationsInline"/>):
/// one proposal at a time, each made from the completion of the previous one, which runs inside
/// the leader's duty cycle: the next append leaves in the cycle that applied the last entry.</item>
/// </list>
/// <para>
/// Every node snapshots its state machine (and compacts its log) every <see cref="SnapshotEvery"/>
/// entries, so the storage stays bounded however long a run is. A snapshot allocates (its
/// record, its metadata); nothing else does once warm. <see cref="SnapshotsTaken"/> counts them, so an
/// allocation gate can measure a window between two.
/// </para>
/// </remarks>
public sealed class AgentClusterWorkload : IDisposable
{
    /// <summary>Entries applied between two snapshots of the state machine (and compactions of the log).</summary>
    public const ulong SnapshotEvery = 16_384;

    /// <summary>Entries kept in the log behind a snapshot.</summary>
    public const ulong KeepEntries = 1024;

    public static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>Bound on the proposals waiting for completion (a streamed batch and the one before it, with room).</summary>
    private const int MaxPending = 4096;

    private const int MaxElectionRounds = 1000;
    private const int MaxPassesUntilQuiet = 10_000;

    private readonly BenchClock _clock = new();
    private readonly RaftNodeAgent<long>[] _agents;
    private readonly ManualAgentInvoker[] _invokers;
    private readonly AppliedCounter[] _machines;
    private readonly ReadOnlyMemory<byte> _payload;

    // Proposals waiting for their result, oldest first (a ring).
    private readonly ValueTask<ProposeResult<long>>[] _pending = new ValueTask<ProposeResult<long>>[MaxPending];
    private int _pendingHead;
    private int _pendingCount;

    // The closed loop's proposal in flight and its continuation (one delegate, made once).
    private readonly Action _closedLoopNext;
    private ValueTask<ProposeResult<long>> _closedLoopPending;
    private int _closedLoopLeft;

    private RaftNodeAgent<long> _leader;

    /// <param name="voters">Cluster size (1 or more).</param>
    /// <param name="payloadSize">Bytes per proposal.</param>
    /// <param name="continuationsInline">
    /// <see cref="RaftNodeOptions.RunContinuationsInline"/>; required by <see cref="ProposeClosedLoop"/>.
    /// </param>
    public AgentClusterWorkload(int voters, int payloadSize, bool continuationsInline = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(voters, 1);
        _payload = Payloads.Make(payloadSize);
        ContinuationsInline = continuationsInline;
        var network = new InMemoryNetwork(seed: 1);
        ulong[] members = new ulong[voters];
        for (int i = 0; i < voters; i++)
        {
            members[i] = (ulong)i + 1;
        }
        _agents = new RaftNodeAgent<long>[voters];
        _invokers = new ManualAgentInvoker[voters];
        _machines = new AppliedCounter[voters];
        for (int i = 0; i < voters; i++)
        {
            var options = new RaftNodeOptions
            {
                Raft = new RaftConfig
                {
                    Id = members[i],
                    ElectionTick = 10,
                    HeartbeatTick = 1,
                    MaxSizePerMsg = 1024 * 1024,
                    MaxInflightMsgs = 256,
                    Random = new Random(17 + i),
                },
                TickInterval = TickInterval,
                Time = _clock,
                InitialMembers = members,
                RunContinuationsInline = continuationsInline,
                Snapshots = new SnapshotPolicy { EveryEntries = SnapshotEvery, KeepEntries = KeepEntries },
            };
            _machines[i] = new AppliedCounter();
            _agents[i] = new RaftNodeAgent<long>(options, new MemoryStorage(), network.CreateTransport(members[i]), _machines[i]);
            _invokers[i] = new ManualAgentInvoker(_agents[i]);
        }
        _closedLoopNext = ClosedLoopNext;
        _leader = ElectLeader();
    }

    public bool ContinuationsInline { get; }

    public int Voters => _agents.Length;

    public RaftNodeAgent<long> Leader => _leader;

    public ReadOnlySpan<RaftNodeAgent<long>> Agents => _agents;

    /// <summary>Proposals made so far (each completed Ok, in order, before a later one is counted as done).</summary>
    public long Proposed { get; private set; }

    /// <summary>Proposals completed so far; each was checked to be Ok with the state machine's count as its result.</summary>
    public long Completed { get; private set; }

    /// <summary>The log index of the last completed proposal.</summary>
    public ulong LastCompletedIndex { get; private set; }

    /// <summary>Proposals not completed yet.</summary>
    public int Pending => _pendingCount + (_closedLoopLeft > 0 ? 1 : 0);

    /// <summary>Passes run so far (each one duty cycle of every agent).</summary>
    public long Passes { get; private set; }

    /// <summary>Snapshots node <paramref name="i"/> took (0-based, in id order; one every <see cref="SnapshotEvery"/> entries).</summary>
    public long SnapshotsTaken(int i) => _machines[i].Snapshots;

    /// <summary>The index of the last entry node <paramref name="i"/> applied (0-based, in id order).</summary>
    public ulong AppliedIndex(int i) => _agents[i].AppliedIndex;

    /// <summary>Payload bytes node <paramref name="i"/>'s state machine applied.</summary>
    public long AppliedBytes(int i) => _machines[i].Bytes;

    /// <summary>
    /// Proposes <paramref name="batch"/> entries (queued together, so the leader's next cycle
    /// carries them out as one MsgProp), then runs passes until one does no work. Every proposal
    /// has then completed. Returns the leader's applied index.
    /// </summary>
    public ulong ProposeUntilQuiet(int batch)
    {
        Propose(batch);
        int passes = 0;
        while (Pass() > 0)
        {
            if (++passes > MaxPassesUntilQuiet)
            {
                BenchCheck.Fail("the cluster did not go quiet");
            }
        }
        Collect();
        if (_pendingCount != 0)
        {
            BenchCheck.Fail($"{_pendingCount} proposals still pending with the cluster quiet");
        }
        return _leader.AppliedIndex;
    }

    /// <summary>
    /// Proposes <paramref name="batch"/> entries, then runs one pass; more only while a node (or
    /// the leader's completions) lags more than a batch behind, so the stream stays bounded.
    /// Returns the leader's applied index.
    /// </summary>
    public ulong ProposeStreamed(int batch)
    {
        Propose(batch);
        int passes = 0;
        do
        {
            Pass();
            Collect();
            if (++passes > MaxPassesUntilQuiet)
            {
                BenchCheck.Fail("the stream does not advance");
            }
        }
        while (Lags(batch));
        return _leader.AppliedIndex;
    }

    /// <summary>
    /// Proposes <paramref name="count"/> entries one at a time, each from the completion of the one
    /// before (run inline on the leader's cycle), running passes until the last completed. Returns
    /// the leader's applied index.
    /// </summary>
    public ulong ProposeClosedLoop(int count)
    {
        if (!ContinuationsInline)
        {
            BenchCheck.Fail("the closed loop needs continuations inline");
        }
        _closedLoopLeft = count;
        ClosedLoopPropose();
        int passes = 0;
        while (_closedLoopLeft > 0)
        {
            Pass();
            if (++passes > MaxPassesUntilQuiet)
            {
                BenchCheck.Fail("the closed loop does not advance");
            }
        }
        return _leader.AppliedIndex;
    }

    /// <summary>One duty cycle of every agent, the leader's first. Returns the work they did.</summary>
    public int Pass()
    {
        Passes++;
        int work = 0;
        RaftNodeAgent<long> leader = _leader;
        for (int i = 0; i < _invokers.Length; i++)
        {
            if (ReferenceEquals(_agents[i], leader))
            {
                work += _invokers[i].Invoke();
            }
        }
        for (int i = 0; i < _invokers.Length; i++)
        {
            if (!ReferenceEquals(_agents[i], leader))
            {
                work += _invokers[i].Invoke();
            }
        }
        return work;
    }

    public void Dispose()
    {
        foreach (ManualAgentInvoker invoker in _invokers)
        {
            invoker.Dispose();
        }
    }

    private RaftNodeAgent<long> ElectLeader()
    {
        for (int round = 0; round < MaxElectionRounds; round++)
        {
            _clock.Advance(TickInterval);
            while (Pass() > 0)
            {
            }
            if (KnownLeader() is { } leader)
            {
                return leader;
            }
        }
        BenchCheck.Fail($"no leader after {MaxElectionRounds} ticks");
        return null!;
    }

    /// <summary>The leader, once every node knows it and has applied its first entry.</summary>
    private RaftNodeAgent<long>? KnownLeader()
    {
        RaftNodeAgent<long>? leader = null;
        foreach (RaftNodeAgent<long> a in _agents)
        {
            if (a.IsLeader)
            {
                leader = a;
            }
        }
        if (leader is null || leader.AppliedIndex == 0)
        {
            return null;
        }
        foreach (RaftNodeAgent<long> a in _agents)
        {
            if (a.Leader != leader.Id || a.AppliedIndex != leader.AppliedIndex)
            {
                return null;
            }
        }
        return leader;
    }

    private void Propose(int batch)
    {
        if (_pendingCount + batch > MaxPending)
        {
            BenchCheck.Fail($"more than {MaxPending} proposals pending");
        }
        for (int i = 0; i < batch; i++)
        {
            _pending[(_pendingHead + _pendingCount) % MaxPending] = _leader.ProposeAsync(_payload);
            _pendingCount++;
            Proposed++;
        }
    }

    /// <summary>Takes the results of the oldest proposals that have completed (in order), checking each.</summary>
    private void Collect()
    {
        while (_pendingCount > 0)
        {
            ref ValueTask<ProposeResult<long>> oldest = ref _pending[_pendingHead];
            if (!oldest.IsCompleted)
            {
                return;
            }
            ProposeResult<long> r = oldest.Result;
            oldest = default;
            _pendingHead = (_pendingHead + 1) % MaxPending;
            _pendingCount--;
            Check(r);
        }
    }

    private void Check(in ProposeResult<long> r)
    {
        Completed++;
        // The leader's state machine counts the proposals it applied: the n-th completion is the n-th entry.
        if (!r.IsOk || r.Value != Completed || r.Index <= LastCompletedIndex)
        {
            FailProposal(r);
        }
        LastCompletedIndex = r.Index;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void FailProposal(ProposeResult<long> r) =>
        BenchCheck.Fail($"proposal {Completed} ended as {r.Status} (index {r.Index}, value {r.Value}, after index {LastCompletedIndex})");

    /// <summary>Whether the leader has more than a batch of proposals pending or a node applied more than a batch less than the leader's log holds.</summary>
    private bool Lags(int batch)
    {
        if (_pendingCount > batch)
        {
            return true;
        }
        ulong last = LastCompletedIndex + (ulong)_pendingCount;
        foreach (RaftNodeAgent<long> a in _agents)
        {
            if (a.AppliedIndex + (ulong)batch < last)
            {
                return true;
            }
        }
        return false;
    }

    private void ClosedLoopPropose()
    {
        Proposed++;
        _closedLoopPending = _leader.ProposeAsync(_payload);
        if (_closedLoopPending.IsCompleted)
        {
            // Refused at once (not leader, stopping, overloaded): a continuation would run on the thread pool.
            FailProposal(_closedLoopPending.Result);
        }
        _closedLoopPending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_closedLoopNext);
    }

    /// <summary>The completion of the closed loop's proposal (on the leader's cycle): check it, propose the next.</summary>
    private void ClosedLoopNext()
    {
        ProposeResult<long> r = _closedLoopPending.Result;
        _closedLoopPending = default;
        Check(r);
        if (--_closedLoopLeft > 0)
        {
            ClosedLoopPropose();
        }
    }
}
