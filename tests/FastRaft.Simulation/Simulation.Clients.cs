using System.Buffers.Binary;
using FastRaft.Core;
using FastRaft.Protocol;
using FastRaft.Simulation.Kv;
using FastRaft.Simulation.Linearizability;

namespace FastRaft.Simulation;

/// <summary>A client of the key-value service: one operation at a time, each through some node.</summary>
internal sealed class SimClient(int id)
{
    public int Id { get; } = id;

    /// <summary>The last sequence number used; each operation takes the next.</summary>
    public ulong Seq { get; set; }

    public ClientOp? Current { get; set; }

    /// <summary>A value this client saw per key, used as the expected value of its compare-and-sets.</summary>
    public Dictionary<int, ulong> Seen { get; } = [];
}

internal sealed class ClientOp
{
    public required KvOpKind Kind { get; init; }
    public required int Key { get; init; }
    public required ulong Seq { get; init; }
    public required ulong Node { get; init; }
    public required long Call { get; init; }
    public ulong Value { get; init; }
    public ulong Expected { get; init; }
}

// Clients: invoke put / get / compare-and-set through a node, record invocations and
// completions (time = simulation time) in the history, give up after a timeout.
public sealed partial class Simulation
{
    private readonly SimClient[] _clients;
    private readonly List<KvOperation> _history = [];

    /// <summary>(client, seq) of each history entry, parallel to _history.</summary>
    private readonly List<(int Client, ulong Seq)> _historyIds = [];

    /// <summary>
    /// Every client command some node applied, with the time of its first application and its
    /// result: an unknown write not in here never took effect.
    /// </summary>
    private readonly Dictionary<(int Client, ulong Seq), (long Time, bool Result)> _appliedCommands = [];
    private bool _refinedHistory;
    private long _checkerSteps;
    private int _supersededLeaseReads;
    private int _neverAppliedUnknown;
    private readonly List<ulong> _upNodes = [];
    private ulong _calmCommit;
    private int _calmCompletions;

    private void ClientAct(SimClient c)
    {
        if (c.Current is not null)
        {
            return;
        }
        SimNode? n = PickNodeForClient();
        if (n is null)
        {
            ScheduleClient(c);
            return;
        }
        RawNode raft = n.Raft!;
        c.Seq++;
        int key = _rng.Next(_s.Keys);
        double roll = _rng.NextDouble();
        KvOpKind kind = roll < 0.35 ? KvOpKind.Put : roll < 0.75 ? KvOpKind.Get : KvOpKind.CompareAndSet;
        ulong value = ((ulong)(c.Id + 1) << 32) | c.Seq;
        ulong expected = _rng.Chance(0.8) ? c.Seen.GetValueOrDefault(key) : 0;
        var op = new ClientOp { Kind = kind, Key = key, Seq = c.Seq, Node = n.Id, Call = _now, Value = value, Expected = expected };
        if (kind == KvOpKind.Get && _options.Sabotage == Sabotage.ServeReadsLocally)
        {
            ulong local = n.Kv.Get(key);
            c.Current = op;
            Record(c, op, KvOperation.Get(c.Id, key, local, _now, _now));
            Finish(c);
            return;
        }
        if (kind == KvOpKind.Get)
        {
            var ctx = new byte[8];
            ulong ctxId = ((ulong)(c.Id + 1) << 40) | c.Seq;
            BinaryPrimitives.WriteUInt64LittleEndian(ctx, ctxId);
            raft.ReadIndex(ctx);
            n.PendingReads[ctxId] = new PendingOp(c.Id, c.Seq);
            _trace.Line($"{_now} client {c.Id} op {c.Seq} get k{key} via node {n.Id} ({Role(raft)})");
        }
        else
        {
            var cmd = new KvCommand(kind == KvOpKind.Put ? KvCommandKind.Put : KvCommandKind.CompareAndSet, c.Id, c.Seq, key, value, expected);
            StepResult r = raft.Propose(cmd.Encode());
            _trace.Line($"{_now} client {c.Id} op {c.Seq} {kind} k{key}={value} (expect {expected}) via node {n.Id} ({Role(raft)}): {r}");
            if (r != StepResult.Ok)
            {
                // Refused on the spot: the operation certainly did not happen; leave it out.
                ScheduleClient(c);
                return;
            }
            n.PendingWrites[(c.Id, c.Seq)] = new PendingOp(c.Id, c.Seq);
        }
        c.Current = op;
        MarkReady(n);
        Schedule(_now + _s.ClientTimeout, new SimEvent { Kind = EventKind.ClientTimeout, Client = c.Id, Seq = c.Seq });
    }

    /// <summary>Mostly a node that believes it leads; otherwise any running node (followers forward).</summary>
    private SimNode? PickNodeForClient()
    {
        _upNodes.Clear();
        ulong leader = 0;
        foreach ((ulong id, SimNode n) in _nodes)
        {
            if (n.Raft is RawNode r)
            {
                _upNodes.Add(id);
                if (r.BasicStatus().SoftState.RaftState == StateType.StateLeader)
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
        return _nodes[pick];
    }

    private void ScheduleClient(SimClient c) =>
        Schedule(_now + _rng.Between(1, _s.ClientThinkTime), new SimEvent { Kind = EventKind.ClientAct, Client = c.Id });

    private void CompleteWrite(SimClient c, ulong seq, bool result)
    {
        if (c.Current is not ClientOp op || op.Seq != seq)
        {
            return;
        }
        if (op.Kind == KvOpKind.Put)
        {
            Record(c, op, KvOperation.Put(c.Id, op.Key, op.Value, op.Call, _now));
            c.Seen[op.Key] = op.Value;
        }
        else
        {
            Record(c, op, KvOperation.Cas(c.Id, op.Key, op.Expected, op.Value, result, op.Call, _now));
            if (result)
            {
                c.Seen[op.Key] = op.Value;
            }
        }
        _trace.Line($"{_now} client {c.Id} op {seq} completed: {result}");
        Finish(c);
    }

    private void CompleteRead(SimClient c, PendingOp pending, SimNode n)
    {
        if (c.Current is not ClientOp op || op.Seq != pending.Seq)
        {
            return;
        }
        ulong v = n.Kv.Get(op.Key);
        c.Seen[op.Key] = v;
        _trace.Line($"{_now} client {c.Id} op {op.Seq} read k{op.Key} = {v} at node {n.Id} (applied {n.Applied}){(pending.Superseded ? ", answered by a superseded lease" : "")}");
        if (pending.Superseded)
        {
            _supersededLeaseReads++;
        }
        if (!pending.Superseded || _options.StrictLeaseReads)
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
    private List<KvOperation> Refined()
    {
        _refinedHistory = true;
        var refined = new List<KvOperation>(_history.Count);
        for (int i = 0; i < _history.Count; i++)
        {
            KvOperation op = _history[i];
            if (op.Unknown)
            {
                if (!_appliedCommands.TryGetValue(_historyIds[i], out var applied))
                {
                    continue;
                }
                op = op with { Return = applied.Time, Output = op.Kind == KvOpKind.CompareAndSet && applied.Result ? 1UL : 0UL };
            }
            refined.Add(op);
        }
        return refined;
    }

    private void Record(SimClient c, ClientOp op, KvOperation entry)
    {
        _history.Add(entry);
        _historyIds.Add((c.Id, op.Seq));
    }

    private void Finish(SimClient c)
    {
        c.Current = null;
        if (_calm)
        {
            _calmCompletions++;
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
        if (_nodes.TryGetValue(op.Node, out SimNode? n))
        {
            n.PendingWrites.Remove((c.Id, op.Seq));
            n.PendingReads.Remove(((ulong)(c.Id + 1) << 40) | op.Seq);
            n.ReadsAwaitingApply.RemoveAll(r => r.Op.Client == c.Id && r.Op.Seq == op.Seq);
        }
        _trace.Line($"{_now} client {c.Id} op {op.Seq} gave up ({why})");
        c.Current = null;
        ScheduleClient(c);
    }

    /// <summary>Clients whose operation was in flight at a crashing node learn that it failed, without its outcome.</summary>
    private void GiveUpAt(SimNode n)
    {
        foreach (SimClient c in _clients)
        {
            if (c.Current is ClientOp op && op.Node == n.Id)
            {
                GiveUp(c, $"node {n.Id} crashed");
            }
        }
    }

    private int CountUnknown()
    {
        int k = 0;
        foreach (KvOperation op in _history)
        {
            if (op.Unknown)
            {
                k++;
            }
        }
        return k;
    }

    private LinearizabilityResult CheckHistory()
    {
        foreach (SimClient c in _clients)
        {
            if (c.Current is not null)
            {
                GiveUp(c, "run ended");
            }
        }
        // An unknown write that no node ever applied had no effect anyone could observe: leaving
        // it out is the same as linearizing it after everything else (and keeps the search small).
        var checkable = new List<KvOperation>(_history.Count);
        for (int i = 0; i < _history.Count; i++)
        {
            if (_history[i].Unknown && !_appliedCommands.ContainsKey(_historyIds[i]))
            {
                _neverAppliedUnknown++;
                continue;
            }
            checkable.Add(_history[i]);
        }
        LinearizabilityResult r = LinearizabilityChecker.Check(checkable);
        _checkerSteps += r.Steps;
        if (r.Verdict == LinearizabilityVerdict.Inconclusive)
        {
            r = LinearizabilityChecker.Check(Refined());
            _checkerSteps += r.Steps;
        }
        _trace.Line($"{_now} history: {_history.Count} operations, {CountUnknown()} unknown ({_neverAppliedUnknown} never applied), {_supersededLeaseReads} superseded lease reads{(_options.StrictLeaseReads ? " kept" : " left out")}: {r.Verdict}{(_refinedHistory ? " (unknown outcomes resolved from the applies)" : "")}");
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
            Invariants.Fail("linearizability", lines.ToString());
        }
        if (r.Verdict == LinearizabilityVerdict.Inconclusive)
        {
            Invariants.Fail("linearizability", $"search budget exhausted on key k{r.Key} ({r.KeyHistory.Count} operations): history too concurrent to decide");
        }
        return r;
    }
}
