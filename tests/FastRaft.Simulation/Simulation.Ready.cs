using System.Buffers.Binary;
using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Simulation.Kv;

namespace FastRaft.Simulation;

// The host's Ready loop for one node (persist, check, send, apply, Advance, snapshot) and the
// network's delivery of what it sends.
public sealed partial class Simulation
{
    private void HandleReady(SimNode n)
    {
        RawNode raft = n.Raft!;
        if (!raft.HasReady())
        {
            return;
        }
        Ready rd = raft.Ready();
        if (_trace.Enabled)
        {
            _trace.Line($"{_now} ready {n.Id}: {Role(raft)} hs={rd.HardState.Term}/{rd.HardState.Vote}/{rd.HardState.Commit} entries={DescribeRange(rd.Entries.ToArray())} committed={DescribeRange(rd.CommittedEntries.Span)} msgs={rd.Messages.Length} snap={(rd.Snapshot is null ? "-" : $"{rd.Snapshot.Metadata.Index}/{rd.Snapshot.Metadata.Term}")} reads={rd.ReadStates.Length}");
        }

        // 1. Persist (one group-committed write), then check what is now durable.
        StorageStatus saved = n.Storage.Save(rd.HardState, rd.Entries, rd.Snapshot, rd.MustSync);
        if (saved != StorageStatus.Ok)
        {
            Invariants.Fail("storage", $"node {n.Id} could not save its Ready: {saved}");
        }
        _inv.AfterSave(n, rd);
        BasicStatus st = raft.BasicStatus();
        if (!rd.HardState.IsEmpty && rd.HardState.Commit > n.LastCommit)
        {
            _inv.CommitAdvanced(n, rd.HardState.Term, n.LastCommit, rd.HardState.Commit);
            n.LastCommit = rd.HardState.Commit;
        }
        if (st.SoftState.RaftState == StateType.StateLeader)
        {
            _inv.CheckLeaderCompleteness(n, st.HardState.Term);
        }

        // 2. A received snapshot replaces the state machine.
        if (rd.Snapshot is { IsEmpty: false } snap)
        {
            if (_options.Sabotage != Sabotage.IgnoreSnapshots)
            {
                n.Kv = KvStore.Decode(snap.Data.Span, _s.Keys, _s.Clients);
            }
            n.Conf = snap.Metadata.ConfState;
            n.Applied = snap.Metadata.Index;
            n.SnapshotIndex = snap.Metadata.Index;
            _snapshotsRestored++;
            _inv.SnapshotRestored(n, snap, n.Kv.Digest());
        }

        // 3. Send.
        foreach (ref readonly Message m in rd.Messages.Span)
        {
            Send(m);
        }

        // 4. Reads whose index is known wait for the apply index to reach it.
        foreach (ref readonly ReadState rs in rd.ReadStates.Span)
        {
            ulong ctx = rs.RequestCtx.Length == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(rs.RequestCtx.Span) : 0;
            if (n.PendingReads.Remove(ctx, out PendingOp? op))
            {
                if (!op.AnsweredRemotely && LeaseReads && (st.SoftState.RaftState != StateType.StateLeader || st.HardState.Term < _inv.MaxLeaderTerm))
                {
                    op.Superseded = true;
                }
                _trace.Line($"{_now} node {n.Id} read index {rs.Index} for client {op.Client} op {op.Seq}");
                n.ReadsAwaitingApply.Add((rs.Index, op));
            }
        }

        // 5. Apply.
        bool confChanged = false;
        foreach (ref readonly Entry e in rd.CommittedEntries.Span)
        {
            Apply(n, e);
            confChanged |= e.Type is EntryType.EntryConfChange or EntryType.EntryConfChangeV2;
        }
        ServeReads(n);

        raft.Advance();
        n.Storage.AdvanceEpoch();
        MaybeSnapshot(n, confChanged);
    }

    private void Apply(SimNode n, in Entry e)
    {
        Invariants.CheckApplyOrder(n, e.Index);
        switch (e.Type)
        {
            case EntryType.EntryNormal when !e.Data.IsEmpty:
                if (!KvCommand.TryDecode(e.Data.Span, out KvCommand cmd) || !n.Kv.Accepts(cmd))
                {
                    Invariants.Fail("state machine safety", $"node {n.Id} applied a malformed entry at {e.Index}");
                }
                bool result = n.Kv.Apply(cmd, out bool duplicate);
                if (!duplicate)
                {
                    _appliedCommands.TryAdd((cmd.Client, cmd.Seq), (_now, result));
                }
                _trace.Line($"{_now} node {n.Id} apply {e.Index}/{e.Term} client {cmd.Client} op {cmd.Seq} {cmd.Kind} k{cmd.Key}={cmd.Value}{(duplicate ? " (duplicate)" : "")} -> {result}");
                if (n.PendingWrites.Remove((cmd.Client, cmd.Seq), out PendingOp? op))
                {
                    CompleteWrite(_clients[op.Client], op.Seq, result);
                }
                break;
            case EntryType.EntryConfChange:
            case EntryType.EntryConfChangeV2:
                ApplyConfChange(n, e);
                break;
        }
        n.Applied = e.Index;
        _inv.Applied(n, e, n.Kv.Digest());
    }

    private void ServeReads(SimNode n)
    {
        List<(ulong Index, PendingOp Op)> waiting = n.ReadsAwaitingApply;
        for (int i = 0; i < waiting.Count; i++)
        {
            (ulong index, PendingOp op) = waiting[i];
            if (index <= n.Applied)
            {
                CompleteRead(_clients[op.Client], op, n);
                waiting.RemoveAt(i--);
            }
        }
    }

    /// <summary>
    /// Snapshots the state machine and compacts the log every so many applied entries. A
    /// configuration change also takes a snapshot (without compacting): a leader hands a joining
    /// node its latest snapshot when the log it needs is compacted, and a snapshot from before
    /// the node was added does not name it, so the node would ignore it and never catch up.
    /// </summary>
    private void MaybeSnapshot(SimNode n, bool confChanged)
    {
        bool compact = n.Applied >= n.SnapshotIndex + _s.SnapshotEvery;
        if (!compact && !(confChanged && n.Applied > n.SnapshotIndex))
        {
            return;
        }
        StorageStatus st = n.Storage.CreateSnapshot(n.Applied, n.Conf, n.Kv.Encode(), out _);
        if (st != StorageStatus.Ok)
        {
            Invariants.Fail("storage", $"node {n.Id} could not snapshot at applied index {n.Applied}: {st}");
        }
        n.SnapshotIndex = n.Applied;
        if (compact && n.Applied > _s.CompactionLag)
        {
            st = n.Storage.Compact(n.Applied - _s.CompactionLag);
            if (st is not (StorageStatus.Ok or StorageStatus.Compacted))
            {
                Invariants.Fail("storage", $"node {n.Id} could not compact to {n.Applied - _s.CompactionLag}: {st}");
            }
        }
        _trace.Line($"{_now} node {n.Id} snapshot at {n.Applied}, log from {n.Storage.FirstIndex()}");
    }

    private void Send(in Message m)
    {
        Message c = Own(m);
        int copies = _net.Fate(_delays);
        if (copies == 0)
        {
            _trace.Line($"{_now} drop {Describe(c)}");
            AfterLoss(c);
            return;
        }
        for (int i = 0; i < copies; i++)
        {
            Schedule(_now + _delays[i], new SimEvent { Kind = EventKind.Deliver, Node = c.To, Message = c });
        }
    }

    private void Deliver(SimEvent ev)
    {
        Message m = ev.Message;
        SimNode? to = _nodes.GetValueOrDefault(m.To);
        if (to?.Raft is not RawNode raft || _net.IsBlocked(m.From, m.To))
        {
            _trace.Line($"{_now} lost {Describe(m)}{(to?.Raft is null ? " (down)" : " (partitioned)")}");
            AfterLoss(m);
            return;
        }
        _trace.Line($"{_now} deliver {Describe(m)}");
        if (m.Type == MessageType.MsgReadIndexResp)
        {
            NoteRemoteReadAnswer(to, m);
        }
        raft.Step(m);
        MarkReady(to);
        if (m.Type == MessageType.MsgSnap)
        {
            ReportLater(m.From, m.To, EventKind.SnapshotStatus, failure: false);
        }
    }

    private bool LeaseReads => _s.ReadOnlyOption == ReadOnlyOption.ReadOnlyLeaseBased;

    /// <summary>Remembers which leader term answered a forwarded read (to recognise superseded lease answers).</summary>
    private void NoteRemoteReadAnswer(SimNode n, in Message m)
    {
        if (m.Entries.Length == 1 && m.Entries.Span[0].Data.Length == 8
            && n.PendingReads.TryGetValue(BinaryPrimitives.ReadUInt64LittleEndian(m.Entries.Span[0].Data.Span), out PendingOp? op))
        {
            op.AnsweredRemotely = true;
            op.Superseded |= LeaseReads && m.Term < _inv.MaxLeaderTerm;
        }
    }

    /// <summary>
    /// A transport notices some failures. A lost snapshot is always reported: the contract of
    /// ReportSnapshot (as in etcd) is that the application reports every failure, since the
    /// leader otherwise waits for that snapshot forever. An unreachable peer is reported sometimes.
    /// </summary>
    private void AfterLoss(in Message m)
    {
        if (m.Type == MessageType.MsgSnap)
        {
            ReportLater(m.From, m.To, EventKind.SnapshotStatus, failure: true);
        }
        else if (_rng.Chance(0.1))
        {
            ReportLater(m.From, m.To, EventKind.Unreachable, failure: true);
        }
    }

    private void ReportLater(ulong at, ulong peer, EventKind kind, bool failure)
    {
        if (_nodes.TryGetValue(at, out SimNode? n) && n.Up)
        {
            Schedule(_now + _rng.Between(1, 5), new SimEvent { Kind = kind, Node = at, Incarnation = n.Incarnation, Peer = peer, Failure = failure });
        }
    }

    /// <summary>A deep copy: the Ready's views die at the next Ready, the network holds messages longer.</summary>
    private static Message Own(in Message m)
    {
        Message c = m;
        if (!m.Entries.IsEmpty)
        {
            var ents = new Entry[m.Entries.Length];
            ReadOnlySpan<Entry> src = m.Entries.Span;
            for (int i = 0; i < ents.Length; i++)
            {
                ents[i] = src[i] with { Data = src[i].Data.IsEmpty ? ReadOnlyMemory<byte>.Empty : src[i].Data.ToArray() };
            }
            c.Entries = ents;
        }
        c.Context = m.Context.IsEmpty ? ReadOnlyMemory<byte>.Empty : m.Context.ToArray();
        c.Responses = ReadOnlyMemory<Message>.Empty;
        return c;
    }

    private static string Describe(in Message m)
    {
        string s = $"{m.From}->{m.To} {m.Type} term {m.Term} log {m.LogTerm}/{m.Index} commit {m.Commit}";
        if (!m.Entries.IsEmpty)
        {
            s += $" entries {DescribeRange(m.Entries.Span)}";
        }
        if (m.Reject)
        {
            s += $" reject (hint {m.RejectHint})";
        }
        if (m.Snapshot is { IsEmpty: false } snap)
        {
            s += $" snapshot {snap.Metadata.Index}/{snap.Metadata.Term}";
        }
        return s;
    }

    private static string DescribeRange(ReadOnlySpan<Entry> ents) =>
        ents.IsEmpty ? "-" : ents.Length == 1 ? $"{ents[0].Index}/{ents[0].Term}" : $"{ents[0].Index}/{ents[0].Term}..{ents[^1].Index}/{ents[^1].Term}";
}
