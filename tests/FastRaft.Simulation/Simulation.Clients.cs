using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Simulation.Kv;
using FastRaft.Simulation.Linearizability;

namespace FastRaft.Simulation;

/// <summary>A client of one group's key-value service: one operation at a time, each through some replica of the group.</summary>
internal sealed class SimClient(int id, SimGroup group)
{
    public int Id { get; } = id;

    public SimGroup Group { get; } = group;

    /// <summary>The last sequence number used; each operation takes the next.</summary>
    public ulong Seq { get; set; }

    public ClientOp? Current { get; set; }

    /// <summary>A value this client saw per key, used as the expected value of its compare-and-sets.</summary>
    public Dictionary<int, ulong> Seen { get; } = [];
}

/// <summary>A client operation in flight: a proposal or a read barrier at one node incarnation's agent.</summary>
internal sealed class ClientOp
{
    public required KvOpKind Kind { get; init; }
    public required int Key { get; init; }
    public required ulong Seq { get; init; }
    public required long Call { get; init; }
    public ulong Value { get; init; }
    public ulong Expected { get; init; }

    /// <summary>The node (and its incarnation) the request went to.</summary>
    public ulong Node { get; set; }

    public int Incarnation { get; set; }

    public ValueTask<ProposeResult<bool>> Write { get; set; }

    public ValueTask<ReadResult> Read { get; set; }

    /// <summary>The outcome arrives through a continuation run inline by the agent (not by polling).</summary>
    public bool Inline { get; set; }

    /// <summary>
    /// A lease read that a superseded leader may have answered: etcd's lease can outlive
    /// leadership (see the README), so such a read may be stale.
    /// </summary>
    public bool Superseded { get; set; }
}

// Clients: invoke put / get / compare-and-set through a node's agent (ProposeAsync, ReadIndexAsync),
// record invocations and completions (time = simulation time) in the history, give up after a
// timeout. Completions are collected after each duty cycle of the node (the invoker runs the
// agent on this thread; nothing completes in between).
public sealed partial class Simulation
{
    private long _checkerSteps;
    private readonly List<ulong> _upNodes = [];

    private void ClientAct(SimClient c)
    {
        if (c.Current is not null || _clientsPaused)
        {
            return;
        }
        SimGroup g = c.Group;
        SimNode? n = PickNodeForClient(g);
        if (n is null)
        {
            ScheduleClient(c);
            return;
        }
        c.Seq++;
        int key = _rng.Next(_s.Keys);
        double roll = _rng.NextDouble();
        KvOpKind kind = roll < 0.35 ? KvOpKind.Put : roll < 0.75 ? KvOpKind.Get : KvOpKind.CompareAndSet;
        ulong value = ((ulong)(c.Id + 1) << 32) | c.Seq;
        ulong expected = _rng.Chance(0.8) ? c.Seen.GetValueOrDefault(key) : 0;
        var op = new ClientOp { Kind = kind, Key = key, Seq = c.Seq, Node = n.Id, Incarnation = n.Incarnation, Call = _now, Value = value, Expected = expected };
        c.Current = op;
        if (kind == KvOpKind.Get && Sabotaged(Sabotage.ServeReadsLocally, g))
        {
            ulong local = n.Kv.Get(key);
            Record(c, op, KvOperation.Get(c.Id, key, local, _now, _now));
            Finish(c);
            return;
        }
        if (kind == KvOpKind.Get)
        {
            op.Read = n.Agent!.ReadIndexAsync();
            _trace.Line($"{_now} client {c.Id} op {c.Seq} get k{key} via node {n} ({Role(n.Raw!)})");
        }
        else
        {
            var cmd = new KvCommand(kind == KvOpKind.Put ? KvCommandKind.Put : KvCommandKind.CompareAndSet, c.Id, c.Seq, key, value, expected);
            byte[] payload = cmd.Encode();
            op.Write = n.Agent!.ProposeAsync(payload);
            _trace.Line($"{_now} client {c.Id} op {c.Seq} {kind} k{key}={value} (expect {expected}) via node {n} ({Role(n.Raw!)})");
            if (op.Write.IsCompleted && op.Write.Result is { Status: RequestStatus.NotLeader, LeaderHint: ulong hint }
                && g.Nodes.TryGetValue(hint, out SimNode? leader) && leader.Up && hint != n.Id)
            {
                // Refused at once by a follower that names the leader: the client goes there instead.
                op.Node = leader.Id;
                op.Incarnation = leader.Incarnation;
                op.Write = leader.Agent!.ProposeAsync(payload);
                _trace.Line($"{_now} client {c.Id} op {c.Seq} redirected to node {leader}");
            }
            if (op.Write.IsCompleted)
            {
                CompleteWrite(c, op);
                return;
            }
        }
        if (_s.ContinuationsInline)
        {
            AwaitInline(c, op, g.Nodes[op.Node]);
        }
        Schedule(_now + _s.ClientTimeout, new SimEvent { Kind = EventKind.ClientTimeout, Client = c.Id, Seq = c.Seq, Group = g.Index });
    }

    /// <summary>
    /// The client awaits its request: the agent runs the continuation inside the duty cycle that
    /// completes it (on this thread, no context captured), where the client records the outcome
    /// at once. One that gave up meanwhile only collects the result.
    /// </summary>
    private void AwaitInline(SimClient c, ClientOp op, SimNode n)
    {
        op.Inline = true;
        if (op.Kind == KvOpKind.Get)
        {
            op.Read.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(() =>
            {
                if (!_finished && c.Current == op)
                {
                    CompleteRead(c, op, n);
                }
                else
                {
                    _ = op.Read.Result;
                }
            });
        }
        else
        {
            op.Write.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(() =>
            {
                if (!_finished && c.Current == op)
                {
                    CompleteWrite(c, op);
                }
                else
                {
                    _ = op.Write.Result;
                }
            });
        }
    }

    /// <summary>Mostly a node that believes it leads; otherwise any running node (reads work anywhere, writes may be redirected).</summary>
    private SimNode? PickNodeForClient(SimGroup g)
    {
        _upNodes.Clear();
        ulong leader = 0;
        foreach ((ulong id, SimNode n) in g.Nodes)
        {
            if (n.Agent is { } agent)
            {
                _upNodes.Add(id);
                if (agent.IsLeader)
                {
                    leader = id;
                }
            }
        }
        if (_upNodes.Count == 0)
        {
            return null;
        }
        ulong pick = leader != 0 && _rng.Chance(0.6) ? leader : _rng.Pick(_upNodes);
        return g.Nodes[pick];
    }

    /// <summary>After a duty cycle of <paramref name="n"/>: the requests it completed reach their clients.</summary>
    private void CollectCompletions(SimNode n)
    {
        foreach (SimClient c in n.GroupState.Clients)
        {
            if (c.Current is not ClientOp op || op.Node != n.Id || op.Incarnation != n.Incarnation || op.Inline)
            {
                continue;
            }
            if (op.Kind == KvOpKind.Get ? op.Read.IsCompleted : op.Write.IsCompleted)
            {
                if (op.Kind == KvOpKind.Get)
                {
                    CompleteRead(c, op, n);
                }
                else
                {
                    CompleteWrite(c, op);
                }
            }
        }
        for (int i = n.Changes.Count - 1; i >= 0; i--)
        {
            (string what, ValueTask<MembershipResult> change) = n.Changes[i];
            if (change.IsCompleted)
            {
                MembershipResult r = change.Result;
                _trace.Line($"{_now} operator: {what} via node {n}: {r.Status}{(r.IsOk ? $" at {r.Index}" : r.DropReason != StepResult.Ok ? $" ({r.DropReason})" : "")}");
                n.Changes.RemoveAt(i);
            }
        }
        for (int i = n.Transfers.Count - 1; i >= 0; i--)
        {
            (string what, ValueTask<TransferResult> transfer) = n.Transfers[i];
            if (transfer.IsCompleted)
            {
                TransferResult r = transfer.Result;
                _trace.Line($"{_now} {what}: {r.Status}, leader {r.Leader}");
                n.Transfers.RemoveAt(i);
            }
        }
    }

    /// <summary>
    /// Whether a read at <paramref name="n"/> may have been answered by a superseded leader's lease
    /// during the current duty cycle: <paramref name="n"/> was or is such a leader, or an answer
    /// from one reached it. (The simulation cannot tell which read an answer was for, so every read
    /// in flight there then counts as possibly stale: a superset, which keeps the exclusion sound.)
    /// </summary>
    private bool MayHaveServedStaleRead(SimNode n) =>
        LeaseReads && (n.CycleStartedStale || n.StaleReadAnswer || IsSupersededLeader(n));

    /// <summary>Marks the lease reads in flight at <paramref name="n"/>: a superseded leader may have answered them.</summary>
    private void MarkReadsSuperseded(SimNode n)
    {
        foreach (SimClient c in n.GroupState.Clients)
        {
            if (c.Current is { Kind: KvOpKind.Get } op && op.Node == n.Id && op.Incarnation == n.Incarnation)
            {
                op.Superseded = true;
            }
        }
    }

    /// <summary>Whether <paramref name="n"/> is a leader while a leader of a later term exists or existed.</summary>
    private bool IsSupersededLeader(SimNode n)
    {
        if (n.Raw is not RawNode raw)
        {
            return false;
        }
        BasicStatus st = raw.BasicStatus();
        return st.SoftState.Role == NodeRole.Leader && st.HardState.Term < MaxLeaderTermNow(n.GroupState);
    }

    /// <summary>The highest term any replica of <paramref name="g"/> has led in, including the leaders of this very moment.</summary>
    private static ulong MaxLeaderTermNow(SimGroup g)
    {
        ulong max = g.Invariants.MaxLeaderTerm;
        foreach (SimNode n in g.Nodes.Values)
        {
            if (n.Raw is RawNode raw)
            {
                BasicStatus st = raw.BasicStatus();
                if (st.SoftState.Role == NodeRole.Leader)
                {
                    max = Math.Max(max, st.HardState.Term);
                }
            }
        }
        return max;
    }

    private void ScheduleClient(SimClient c) =>
        Schedule(_now + _rng.Between(1, _s.ClientThinkTime), new SimEvent { Kind = EventKind.ClientAct, Client = c.Id, Group = c.Group.Index });

    /// <summary>
    /// A proposal finished. Applied: the write happened with the state machine's result. Not
    /// leader, dropped or lost: the host says it never reached a committed log, so it certainly did
    /// not happen (left out of the history, and applying it later is a host bug). Unknown (a
    /// snapshot jumped over it) or shutting down: the client cannot tell, as after a timeout.
    /// </summary>
    private void CompleteWrite(SimClient c, ClientOp op)
    {
        SimGroup g = c.Group;
        ProposeResult<bool> r = op.Write.Result;
        switch (r.Status)
        {
            case RequestStatus.Ok:
                break;
            case RequestStatus.NotLeader or RequestStatus.Dropped or RequestStatus.Lost:
                _trace.Line($"{_now} client {c.Id} op {op.Seq} refused by node {op.Node}: {r.Status}{(r.DropReason != StepResult.Ok ? $" ({r.DropReason})" : "")}");
                if (g.AppliedCommands.ContainsKey((c.Id, op.Seq)))
                {
                    g.Fail("host", $"node {op.Node} answered {r.Status} for client {c.Id} op {op.Seq}, which was applied");
                }
                g.RefusedCommands.Add((c.Id, op.Seq));
                c.Current = null;
                ScheduleClient(c);
                return;
            default:
                GiveUp(c, $"node {op.Node} answered {r.Status}");
                return;
        }
        if (!g.AppliedCommands.TryGetValue((c.Id, op.Seq), out var applied) || applied.Result != r.Value)
        {
            g.Fail("host", $"node {op.Node} completed client {c.Id} op {op.Seq} as applied at {r.Index} with result {r.Value}, but no node applied it with that result");
        }
        if (op.Kind == KvOpKind.Put)
        {
            Record(c, op, KvOperation.Put(c.Id, op.Key, op.Value, op.Call, _now));
            c.Seen[op.Key] = op.Value;
        }
        else
        {
            Record(c, op, KvOperation.Cas(c.Id, op.Key, op.Expected, op.Value, r.Value, op.Call, _now));
            if (r.Value)
            {
                c.Seen[op.Key] = op.Value;
            }
        }
        _trace.Line($"{_now} client {c.Id} op {op.Seq} completed at {r.Index}/{r.Term}: {r.Value}");
        Finish(c);
    }

    /// <summary>
    /// A read barrier finished: on success the node has applied at least the read index, and the
    /// value is read from its state machine now. A failed read constrains nothing and is left out.
    /// </summary>
    private void CompleteRead(SimClient c, ClientOp op, SimNode n)
    {
        ReadResult r = op.Read.Result;
        if (!r.IsOk)
        {
            _trace.Line($"{_now} client {c.Id} op {op.Seq} read failed at node {n}: {r.Status}");
            c.Current = null;
            ScheduleClient(c);
            return;
        }
        if (n.Applied < r.Index)
        {
            Invariants.Fail("host", $"node {n} completed a read at index {r.Index} having applied only {n.Applied}");
        }
        if (MayHaveServedStaleRead(n))
        {
            op.Superseded = true;
        }
        ulong v = n.Kv.Get(op.Key);
        c.Seen[op.Key] = v;
        _trace.Line($"{_now} client {c.Id} op {op.Seq} read k{op.Key} = {v} at node {n} (read index {r.Index}, applied {n.Applied}){(op.Superseded ? ", maybe answered by a superseded lease" : "")}");
        if (op.Superseded)
        {
            c.Group.SupersededLeaseReads++;
        }
        if (!op.Superseded || _options.StrictLeaseReads)
        {
            Record(c, op, KvOperation.Get(c.Id, op.Key, v, op.Call, _now));
        }
        Finish(c);
    }

    /// <summary>
    /// The history with every unknown write that took effect completed at its first application
    /// (with the result it had). Used only when the search over the unknown outcomes runs out of
    /// budget. Sound: in a correct run each write can be linearized at its first application
    /// (those times follow log order), and each read between the first applications of its
    /// state's index and of the next one, which ReadIndex places inside the read's interval.
    /// </summary>
    private static List<KvOperation> Refined(SimGroup g)
    {
        g.RefinedHistory = true;
        var refined = new List<KvOperation>(g.History.Count);
        for (int i = 0; i < g.History.Count; i++)
        {
            KvOperation op = g.History[i];
            if (op.Unknown)
            {
                if (!g.AppliedCommands.TryGetValue(g.HistoryIds[i], out var applied))
                {
                    continue;
                }
                op = op with { Return = applied.Time, Output = op.Kind == KvOpKind.CompareAndSet && applied.Result ? 1UL : 0UL };
            }
            refined.Add(op);
        }
        return refined;
    }

    private static void Record(SimClient c, ClientOp op, KvOperation entry)
    {
        c.Group.History.Add(entry);
        c.Group.HistoryIds.Add((c.Id, op.Seq));
    }

    private void Finish(SimClient c)
    {
        c.Current = null;
        if (_calm)
        {
            c.Group.CalmCompletions++;
        }
        if (_s.ContinuationsInline && _inCycle && _rng.Chance(0.3))
        {
            // Straight from the continuation, inside the duty cycle: the agent carries the next
            // request out in the same cycle.
            ClientAct(c);
            return;
        }
        ScheduleClient(c);
    }

    private void ClientTimeout(SimClient c, ulong seq)
    {
        if (c.Current is ClientOp op && op.Seq == seq)
        {
            GiveUp(c, "timed out");
        }
    }

    /// <summary>
    /// The client stops waiting. A write may still take effect later, so it stays in the history
    /// with an unknown outcome; a read that never answered constrains nothing and is dropped.
    /// </summary>
    private void GiveUp(SimClient c, string why)
    {
        ClientOp op = c.Current!;
        if (op.Kind == KvOpKind.Put)
        {
            Record(c, op, KvOperation.Put(c.Id, op.Key, op.Value, op.Call, KvOperation.Never));
        }
        else if (op.Kind == KvOpKind.CompareAndSet)
        {
            Record(c, op, KvOperation.Cas(c.Id, op.Key, op.Expected, op.Value, false, op.Call, KvOperation.Never));
        }
        _trace.Line($"{_now} client {c.Id} op {op.Seq} gave up ({why})");
        c.Current = null;
        ScheduleClient(c);
    }

    /// <summary>Clients whose operation was in flight at a crashing (or retired) replica learn that it failed, without its outcome.</summary>
    private void GiveUpAt(SimNode n)
    {
        foreach (SimClient c in n.GroupState.Clients)
        {
            if (c.Current is ClientOp op && op.Node == n.Id)
            {
                GiveUp(c, $"node {n.Id} crashed");
            }
        }
    }

    private static int CountUnknown(SimGroup g)
    {
        int k = 0;
        foreach (KvOperation op in g.History)
        {
            if (op.Unknown)
            {
                k++;
            }
        }
        return k;
    }

    /// <summary>Checks every group's history on its own (groups share no state); the last group's result is returned.</summary>
    private LinearizabilityResult CheckHistory()
    {
        LinearizabilityResult? last = null;
        foreach (SimGroup g in _groups)
        {
            last = CheckHistory(g);
        }
        return last!;
    }

    private LinearizabilityResult CheckHistory(SimGroup g)
    {
        foreach (SimClient c in g.Clients)
        {
            if (c.Current is not null)
            {
                GiveUp(c, "run ended");
            }
        }
        // An unknown write that no node ever applied had no effect anyone could observe: leaving
        // it out is the same as linearizing it after everything else (and keeps the search small).
        var checkable = new List<KvOperation>(g.History.Count);
        for (int i = 0; i < g.History.Count; i++)
        {
            if (g.History[i].Unknown && !g.AppliedCommands.ContainsKey(g.HistoryIds[i]))
            {
                g.NeverAppliedUnknown++;
                continue;
            }
            checkable.Add(g.History[i]);
        }
        LinearizabilityResult r = LinearizabilityChecker.Check(checkable);
        _checkerSteps += r.Steps;
        if (r.Verdict == LinearizabilityVerdict.Inconclusive)
        {
            r = LinearizabilityChecker.Check(Refined(g));
            _checkerSteps += r.Steps;
        }
        _trace.Line($"{_now} {(g.Id == 0 ? "" : $"group {g.Id} ")}history: {g.History.Count} operations, {CountUnknown(g)} unknown ({g.NeverAppliedUnknown} never applied), {g.SupersededLeaseReads} superseded lease reads{(_options.StrictLeaseReads ? " kept" : " left out")}: {r.Verdict}{(g.RefinedHistory ? " (unknown outcomes resolved from the applies)" : "")}");
        if (r.Verdict == LinearizabilityVerdict.NotLinearizable)
        {
            var lines = new System.Text.StringBuilder();
            lines.Append($"history of key k{r.Key} has no linearization ({r.KeyHistory.Count} operations); ");
            if (r.Contradiction != ReadContradiction.None)
            {
                lines.Append($"a read contradicts the order of the writes ({r.Contradiction}):");
                foreach (KvOperation op in r.Witness)
                {
                    lines.Append("\n    ").Append(op);
                }
            }
            else
            {
                lines.Append("longest linearizable prefix:");
                foreach (KvOperation op in r.LongestPrefix)
                {
                    lines.Append("\n    ").Append(op);
                }
            }
            lines.Append("\n  operations on the key:");
            foreach (KvOperation op in r.KeyHistory)
            {
                lines.Append("\n    ").Append(op);
            }
            g.Fail("linearizability", lines.ToString());
        }
        if (r.Verdict == LinearizabilityVerdict.Inconclusive)
        {
            g.Fail("linearizability", $"search budget exhausted on key k{r.Key} ({r.KeyHistory.Count} operations): history too concurrent to decide");
        }
        return r;
    }
}
