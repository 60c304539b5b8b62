using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Simulation;

// The network between the agents' transports: what a node sends gets its fate (dropped, delayed,
// delayed a lot, duplicated) at once; a copy that arrives waits in the destination's inbox for
// its agent's next poll, unless a partition blocks the link or the destination is down, and a
// transport reports what it notices to the sender.
public sealed partial class Simulation
{
    /// <summary>A node's own transport sends <paramref name="m"/> (a Ready's view: copied here, the network holds it longer).</summary>
    internal void Send(SimNode from, in Message m)
    {
        if (_finished)
        {
            return;
        }
        Transmit(Own(m));
    }

    /// <summary>
    /// A multi-group server's shared transport sends an owned message at the end of the process's
    /// cycle. The durability rule: nothing leaves a process while writes of its groups are not synced.
    /// </summary>
    internal void Transmit(SimServer from, Message c)
    {
        if (_finished)
        {
            return;
        }
        if (c.GroupId != 0 && from.Log.HasUnsyncedWrites)
        {
            // (The process's own control messages, liveness pings and coalesced heartbeats, depend on no write.)
            Invariants.Fail("durability", $"node {from.Id} sent {Describe(c)} before syncing its groups' writes");
        }
        Transmit(c);
    }

    /// <summary>The network takes an owned message: it decides its fate (dropped, delayed, duplicated) at once.</summary>
    private void Transmit(Message c)
    {
        if (_options.TraceSends)
        {
            _trace.Line($"{_now} send {Describe(c)}");
        }
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

    /// <summary>A message arrives: a partition or a down destination loses it; otherwise it waits for the destination's next poll.</summary>
    private void Deliver(SimEvent ev)
    {
        Message m = ev.Message;
        SimServer? to = _servers.GetValueOrDefault(m.To);
        if (to is not { Up: true } || _net.IsBlocked(m.From, m.To))
        {
            _trace.Line($"{_now} lost {Describe(m)}{(to is not { Up: true } ? " (down)" : " (partitioned)")}");
            AfterLoss(m);
            return;
        }
        if (to.ProcessTransport is SimProcessTransport process)
        {
            process.Arrive(m);
        }
        else
        {
            to.Replicas[0].OwnTransport!.Arrive(m);
        }
        ScheduleWork(to, _now + _rng.Between(0, 2));
    }

    /// <summary>Unknown-group drops the server's hub had counted before the message being routed.</summary>
    private long _dropsBeforeRoute;

    /// <summary>The hub is about to route <paramref name="m"/> (it polled the process transport).</summary>
    internal void BeforeRoute(SimServer server, in Message m)
    {
        _dropsBeforeRoute = server.Hub!.Counters.UnknownGroupDrops;
        if (m.GroupId == 0)
        {
            _trace.Line($"{_now} deliver {Describe(m)}");
            return;
        }
        if (!server.Replicas.TryGetValue(m.GroupId, out SimNode? n) || !n.Up)
        {
            _trace.Line($"{_now} deliver {Describe(m)} (no group {m.GroupId} here: the hub must drop it)");
            return;
        }
        BeforeStep(n, m);
    }

    /// <summary>
    /// The hub routed <paramref name="m"/>: it counted a drop exactly when the message named a
    /// group not running here; a snapshot is reported delivered (to the sender's hub) if its
    /// group took it, failed otherwise.
    /// </summary>
    internal void AfterRoute(SimServer server, in Message m, bool taken)
    {
        if (m.GroupId != 0)
        {
            bool known = server.Replicas.TryGetValue(m.GroupId, out SimNode? n) && n.Up;
            long dropped = server.Hub!.Counters.UnknownGroupDrops - _dropsBeforeRoute;
            if (dropped != (known ? 0 : 1))
            {
                Invariants.Fail("hub routing", $"node {server.Id}'s hub counted {dropped} unknown-group drops for {Describe(m)}, group {m.GroupId} {(known ? "runs" : "does not run")} there");
            }
        }
        if (m.Type == MessageType.Snapshot)
        {
            ReportLater(m.From, m.To, EventKind.SnapshotStatus, failure: !taken);
        }
    }

    /// <summary>The agent is about to step <paramref name="m"/> (it polled its transport).</summary>
    internal void BeforeStep(SimNode n, in Message m)
    {
        _trace.Line($"{_now} deliver {Describe(m)}");
        if (m.Type == MessageType.ReadIndexResponse && LeaseReads && m.Term < MaxLeaderTermNow(n.GroupState))
        {
            // A read answered by a leader that had already been superseded (see the README).
            n.StaleReadAnswer = true;
        }
    }

    /// <summary>The agent stepped <paramref name="m"/>: a snapshot delivered whole is reported to its sender.</summary>
    internal void AfterStep(SimNode n, in Message m)
    {
        if (m.Type == MessageType.Snapshot)
        {
            ReportLater(m.From, m.To, EventKind.SnapshotStatus, failure: false);
        }
    }

    /// <summary>A message had arrived at a node that crashed before polling it.</summary>
    internal void LostInInbox(in Message m)
    {
        if (_finished)
        {
            return;
        }
        _trace.Line($"{_now} lost {Describe(m)} (crashed before reading it)");
        AfterLoss(m);
    }

    private bool LeaseReads => _s.ReadOnlyOption == ReadOnlyOption.LeaseBased;

    /// <summary>
    /// A transport notices some failures. A lost snapshot is always reported: the contract of
    /// ReportSnapshot (as in etcd) is that the application reports every failure, since the
    /// leader otherwise waits for that snapshot (here: until the host's status timeout). An
    /// unreachable peer is reported sometimes.
    /// </summary>
    private void AfterLoss(in Message m)
    {
        if (m.Type == MessageType.Snapshot)
        {
            ReportLater(m.From, m.To, EventKind.SnapshotStatus, failure: true);
        }
        else if (_rng.Chance(0.1))
        {
            ReportLater(m.From, m.To, EventKind.Unreachable, failure: true);
        }
    }

    /// <summary>
    /// The sender learns of a delivery or a loss: in a single-group run its replica's transport
    /// reports it; in a multi-group run its process transport does, to the hub, which tells the
    /// groups concerned.
    /// </summary>
    private void ReportLater(ulong at, ulong peer, EventKind kind, bool failure)
    {
        if (MultiGroup)
        {
            if (_servers.TryGetValue(at, out SimServer? server) && server.Up)
            {
                Schedule(_now + _rng.Between(1, 5), new SimEvent { Kind = kind, Node = at, Incarnation = server.Incarnation, Peer = peer, Failure = failure, Group = -1 });
            }
            return;
        }
        if (_groups[0].Nodes.TryGetValue(at, out SimNode? n) && n.Up)
        {
            Schedule(_now + _rng.Between(1, 5), new SimEvent { Kind = kind, Node = at, Incarnation = n.Incarnation, Peer = peer, Failure = failure });
        }
    }

    /// <summary>A deep copy: the Ready's views die at the next Ready, the network holds messages longer.</summary>
    internal static Message Own(in Message m)
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
        string s = $"{(m.GroupId == 0 ? "" : $"g{m.GroupId} ")}{m.From}->{m.To} {m.Type} term {m.Term} log {m.LogTerm}/{m.Index} commit {m.Commit}";
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
