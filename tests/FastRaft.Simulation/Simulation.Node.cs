using System.Runtime.ExceptionServices;
using FastRaft.Core;
using FastRaft.Core.Logging;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Simulation.Kv;

namespace FastRaft.Simulation;

// Running the agents: each duty cycle is an event; what the agent does inside it (persist, apply,
// restore, change membership) reaches the simulation through the storage and state machine
// wrappers, where the invariants are checked as it happens.
public sealed partial class Simulation
{
    /// <summary>Inside an agent's duty cycle (continuations run inline happen there).</summary>
    private bool _inCycle;

    /// <summary>Runs one duty cycle of a server's agents now, then settles what they completed and when they must run next.</summary>
    private void Work(SimServer server)
    {
        if (_now < server.StalledUntil)
        {
            ScheduleWork(server, server.StalledUntil);
            return;
        }
        RunCycle(server);
        if (!server.Up)
        {
            return;
        }
        // Like a runner: a cycle that left a Ready behind (the core moved on while advancing) runs
        // again soon; otherwise the process sleeps until its next tick or until something wakes it.
        bool ready = false;
        foreach (SimNode n in server.Replicas.Values)
        {
            ready |= n.Raw is RawNode raw && raw.HasReady();
        }
        if (ready)
        {
            ScheduleWork(server, _now + _rng.Between(0, 2));
        }
        if (EarliestDeadline(server) is long deadline)
        {
            ScheduleWork(server, server.Clock.GlobalWhen(deadline));
        }
    }

    /// <summary>The earliest deadline of a server's running agents and hub (on its clock), or null when none has one.</summary>
    private static long? EarliestDeadline(SimServer server)
    {
        long deadline = server.Hub?.Deadline ?? long.MaxValue;
        foreach (SimNode n in server.Replicas.Values)
        {
            if (n.Agent is { } agent)
            {
                deadline = Math.Min(deadline, agent.Deadline);
            }
        }
        return deadline == long.MaxValue ? null : deadline;
    }

    /// <summary>
    /// One duty cycle of the process, as one runner thread runs it: with a shared transport the
    /// hub runs first (it polls the process transport and routes what arrived to the groups),
    /// then every replica's agent, then the hub again (it syncs the shared log once if any group
    /// wrote, then sends the messages of all groups and flushes once).
    /// </summary>
    private void RunCycle(SimServer server)
    {
        RunHub(server);
        foreach (SimNode n in server.Replicas.Values)
        {
            if (n.Up)
            {
                RunCycle(n);
            }
        }
        RunHub(server);
    }

    private static void RunHub(SimServer server)
    {
        if (server.HubInvoker is not { } invoker)
        {
            return;
        }
        invoker.Invoke();
        if (server.Hub!.Fault is Exception fault)
        {
            ExceptionDispatchInfo.Capture(fault).Throw();
        }
    }

    /// <summary>One duty cycle of a replica's agent and what follows it: a host fault fails the run, completed requests are collected.</summary>
    private void RunCycle(SimNode n)
    {
        n.CycleStartedStale = LeaseReads && IsSupersededLeader(n);
        _inCycle = true;
        try
        {
            n.Invoker!.Invoke();
        }
        finally
        {
            _inCycle = false;
        }
        ThrowIfFaulted(n);
        if (MayHaveServedStaleRead(n))
        {
            MarkReadsSuperseded(n);
        }
        // Reset after the cycle, not before: a hub routes answers to the replica before its cycle.
        n.StaleReadAnswer = false;
        CollectCompletions(n);
    }

    /// <summary>
    /// An agent that died (its storage, state machine or core threw) ends the run with what it died
    /// of: a violated invariant or a core panic that the host wrapped (it names the snapshot it
    /// could not restore, say) is reported as itself.
    /// </summary>
    private static void ThrowIfFaulted(SimNode n)
    {
        if (n.Agent?.Fault is not Exception fault)
        {
            return;
        }
        for (Exception? e = fault; e is not null; e = e.InnerException)
        {
            if (e is InvariantViolation or RaftPanicException)
            {
                ExceptionDispatchInfo.Capture(e).Throw();
            }
        }
        ExceptionDispatchInfo.Capture(fault).Throw();
    }

    /// <summary>Wakes a multi-group server (its hub or a group's view was woken): it runs a duty cycle soon.</summary>
    internal void Wake(SimServer server, int incarnation)
    {
        if (!_finished && server.Up && server.Incarnation == incarnation)
        {
            ScheduleWork(server, _now + _rng.Between(0, 2));
        }
    }

    /// <summary>Wakes a replica's agent (a request was queued, a report arrived): its server runs a duty cycle soon.</summary>
    internal void Wake(SimNode n, int incarnation)
    {
        if (!_finished && n.Up && n.Incarnation == incarnation)
        {
            ScheduleWork(n.Server, _now + _rng.Between(0, 2));
        }
    }

    /// <summary>Makes sure the server's agents run at <paramref name="at"/> or earlier.</summary>
    private void ScheduleWork(SimServer server, long at)
    {
        if (at >= server.WorkAt)
        {
            return;
        }
        server.WorkAt = at;
        Schedule(at, new SimEvent { Kind = EventKind.Work, Node = server.Id, Incarnation = server.Incarnation });
    }

    /// <summary>A Ready was saved: check what is now durable.</summary>
    internal void Saved(SimNode n, HardState hs, EntrySegments entries, Snapshot? snapshot)
    {
        RawNode raft = n.Raw!;
        if (_trace.Enabled)
        {
            _trace.Line($"{_now} save {n}: {Role(raft)} hs={hs.Term}/{hs.Vote}/{hs.Commit} entries={DescribeRange(entries.ToArray())} snap={(snapshot is null || snapshot.IsEmpty ? "-" : $"{snapshot.Metadata.Index}/{snapshot.Metadata.Term}")}");
        }
        if (MultiGroup && n.Server.SharedLog is null)
        {
            n.Server.MemoryLog.Wrote();
        }
        Invariants inv = n.GroupState.Invariants;
        inv.AfterSave(n, hs, entries);
        if (!hs.IsEmpty && hs.Commit > n.LastCommit)
        {
            inv.CommitAdvanced(n, hs.Term, n.LastCommit, hs.Commit);
            n.LastCommit = hs.Commit;
        }
        BasicStatus st = raft.BasicStatus();
        if (st.SoftState.Role == NodeRole.Leader)
        {
            inv.CheckLeaderCompleteness(n, st.HardState.Term);
        }
        if (snapshot is { IsEmpty: false })
        {
            n.ReceivedSnapshot = snapshot.Metadata;
        }
    }

    internal void SnapshotCreated(SimNode n, ulong index, StorageStatus st)
    {
        if (st != StorageStatus.Ok)
        {
            Invariants.Fail("storage", $"node {n} could not snapshot at applied index {index}: {st}");
        }
        _trace.Line($"{_now} node {n} snapshot at {index}");
    }

    internal void Compacted(SimNode n, ulong index, StorageStatus st)
    {
        if (st is not (StorageStatus.Ok or StorageStatus.Compacted))
        {
            Invariants.Fail("storage", $"node {n} could not compact to {index}: {st}");
        }
        _trace.Line($"{_now} node {n} compacted to {index}, log from {n.Storage.FirstIndex()}");
    }

    /// <summary>The agent applies committed normal entries; each result is the command's (a compare-and-set's swap).</summary>
    internal void ApplyEntries(SimNode n, ReadOnlySpan<Entry> entries, Span<bool> results)
    {
        for (int i = 0; i < entries.Length; i++)
        {
            ref readonly Entry e = ref entries[i];
            Invariants.CheckApplyOrder(n, e.Index);
            if (e.Type != EntryType.Normal)
            {
                Invariants.Fail("state machine safety", $"node {n} was handed a {e.Type} entry at {e.Index} to apply as a command");
            }
            if (!e.Data.IsEmpty)
            {
                results[i] = ApplyCommand(n, e);
            }
            n.Applied = e.Index;
            n.GroupState.Invariants.Applied(n, e, n.Kv.Digest());
        }
    }

    private bool ApplyCommand(SimNode n, in Entry e)
    {
        if (!KvCommand.TryDecode(e.Data.Span, out KvCommand cmd) || !n.Kv.Accepts(cmd))
        {
            Invariants.Fail("state machine safety", $"node {n} applied a malformed entry at {e.Index}");
        }
        bool result = n.Kv.Apply(cmd, out bool duplicate);
        if (!duplicate)
        {
            if (n.GroupState.RefusedCommands.Contains((cmd.Client, cmd.Seq)))
            {
                Invariants.Fail("host", $"node {n} applied client {cmd.Client} op {cmd.Seq} at {e.Index}, a proposal the host had reported as never applied");
            }
            n.GroupState.AppliedCommands.TryAdd((cmd.Client, cmd.Seq), (_now, result));
        }
        _trace.Line($"{_now} node {n} apply {e.Index}/{e.Term} client {cmd.Client} op {cmd.Seq} {cmd.Kind} k{cmd.Key}={cmd.Value}{(duplicate ? " (duplicate)" : "")} -> {result}");
        return result;
    }

    /// <summary>
    /// The agent restores the state machine: from the stored snapshot when it starts, or from a
    /// snapshot a leader sent (saved just before), which must be the state every node had at its index.
    /// </summary>
    internal void RestoreSnapshot(SimNode n, byte[] data)
    {
        if (n.ReceivedSnapshot is not SnapshotMetadata meta)
        {
            // At start: Applied and Conf were set from the same stored snapshot.
            n.Kv = KvStore.Decode(data, _s.Keys, _s.Clients);
            return;
        }
        n.ReceivedSnapshot = null;
        if (!Sabotaged(Sabotage.IgnoreSnapshots, n.GroupState))
        {
            n.Kv = KvStore.Decode(data, _s.Keys, _s.Clients);
        }
        n.Conf = meta.ConfState;
        n.Applied = meta.Index;
        _snapshotsRestored++;
        _trace.Line($"{_now} node {n} restored snapshot {meta.Index}/{meta.Term}");
        n.GroupState.Invariants.SnapshotRestored(n, meta, n.Kv.Digest());
    }

    /// <summary>
    /// A configuration change was applied at <paramref name="index"/> (the agent gives the change
    /// to the core; the entry is read back from storage, where it was saved before being applied).
    /// A node it removed is retired by the operator a little later.
    /// </summary>
    internal void MembershipApplied(SimNode n, ulong index, ConfState conf)
    {
        Invariants.CheckApplyOrder(n, index);
        var buf = new EntryBuffer(1);
        if (n.Storage.Entries(index, index + 1, ulong.MaxValue, buf) != StorageStatus.Ok || buf.Count != 1)
        {
            Invariants.Fail("quorum", $"node {n} applied a configuration change at {index} that its log does not hold");
        }
        Entry e = buf[0];
        if (e.Type is not (EntryType.ConfChange or EntryType.ConfChangeV2))
        {
            Invariants.Fail("state machine safety", $"node {n} applied a configuration change at {index}, where its log holds a {e.Type} entry");
        }
        ConfState before = n.Conf;
        n.Conf = conf;
        n.Applied = index;
        _confChanges++;
        _trace.Line($"{_now} node {n} apply {e.Index}/{e.Term} conf change {DescribeConfChange(e)} -> {FastRaft.Diagnostics.Describe.ConfState(conf)}");
        SimGroup g = n.GroupState;
        g.Invariants.Applied(n, e, n.Kv.Digest());
        foreach (ulong id in Members(before))
        {
            if (!IsMember(conf, id) && !g.Retiring.ContainsKey(id))
            {
                // The operator shuts a removed replica down a little later, once the remaining
                // voters have all applied the removal.
                g.Retiring[id] = (index, conf.Voters);
                Schedule(_now + _rng.Between(50, 600), new SimEvent { Kind = EventKind.Retire, Node = id, Group = g.Index });
            }
        }
    }

    /// <summary>Whether the deliberate host bug <paramref name="sabotage"/> applies to group <paramref name="g"/>.</summary>
    private bool Sabotaged(Sabotage sabotage, SimGroup g) =>
        _options.Sabotage == sabotage && (_options.SabotageGroup == 0 || _options.SabotageGroup == g.Id);

    private static string DescribeConfChange(in Entry e)
    {
        if (e.Type == EntryType.ConfChange)
        {
            return ConfChangeCodec.TryDecodeV1(e.Data.Span, out ConfChange v1, out _) ? ConfChangeText.Format(v1.AsV2().Changes) : "(undecodable)";
        }
        return ConfChangeCodec.TryDecodeV2(e.Data.Span, out ConfChangeV2? v2, out _) ? ConfChangeText.Format(v2.Changes) : "(undecodable)";
    }
}
