using FastRaft.Core;
using FastRaft.Core.Logging;
using FastRaft.Hosting.Applying;
using FastRaft.Protocol;

namespace FastRaft.Hosting.Inbound;

/// <summary>
/// Steps what the transport delivered (node thread only). Everything received is checked before it
/// counts: the core refuses invalid messages itself; here, a message that is not addressed to this
/// node or claims to come from it is dropped, a snapshot's data is checked by the state machine
/// before the core sees it (once stepped, the core has moved its commit index and the next Ready
/// would persist the snapshot), and a follower's refusal of one of this node's snapshots, which
/// travels as a MsgSnapStatus, is handed to the core as a failed delivery.
/// </summary>
/// <remarks>
/// Stepping may run inside the transport's <see cref="ITransport.Poll"/>, so the refusal this node
/// owes a leader for a snapshot it refused is not sent from here: it is queued and sent by
/// <see cref="SendRefusals"/> once the poll has returned.
/// </remarks>
internal sealed class InboundStepper
{
    private readonly RawNode _raw;
    private readonly ulong _id;
    private readonly ISnapshotCheck _snapshotCheck;
    private readonly NodeCounters _counters;
    private readonly RaftLogger _log;
    private readonly List<Message> _refusals = [];

    /// <summary>
    /// Messages stepped that are more than a routine heartbeat or heartbeat response (one without
    /// a read context): what keeps a quiescing node awake (node thread only).
    /// </summary>
    public long Eventful;

    /// <summary>Whether refusals wait to be sent.</summary>
    public bool HasRefusals => _refusals.Count > 0;

    public InboundStepper(RawNode raw, ISnapshotCheck snapshotCheck, NodeCounters counters, RaftLogger log)
    {
        _raw = raw;
        _id = raw.Id;
        _snapshotCheck = snapshotCheck;
        _counters = counters;
        _log = log;
    }

    /// <summary>Steps every message of <paramref name="batch"/> (the caller releases the batch).</summary>
    public void Step(InboundBatch batch)
    {
        foreach (ref readonly Message m in batch.Messages)
        {
            Step(m);
        }
    }

    public void Step(in Message m)
    {
        // A peer never speaks for this node: such a message is forged, or looped back by mistake.
        if (m.To != _id || m.From == _id)
        {
            Interlocked.Increment(ref _counters.MessagesDropped);
            return;
        }
        _counters.MessagesReceived++;
        if (!IsRoutine(m))
        {
            Eventful++;
        }
        switch (m.Type)
        {
            case MessageType.Snapshot:
                StepSnapshot(m);
                return;
            case MessageType.SnapshotStatus:
                OnPeerSnapshotStatus(m);
                return;
        }
        // Refusals (local types from the wire, responses from non-members, invalid messages) are
        // results, not faults.
        StepResult r = _raw.Step(m);
        if (r.IsRefused())
        {
            _counters.Refusals.Add(r);
        }
    }

    private static bool IsRoutine(in Message m) =>
        m.Type is MessageType.Heartbeat or MessageType.HeartbeatResponse && m.Context.IsEmpty;

    /// <summary>Sends the refusals queued since the last call; returns how many.</summary>
    public int SendRefusals(ITransport transport)
    {
        int n = _refusals.Count;
        if (n == 0)
        {
            return 0;
        }
        for (int i = 0; i < n; i++)
        {
            transport.Send(_refusals[i]);
        }
        _refusals.Clear();
        transport.Flush();
        _counters.MessagesSent += n;
        return n;
    }

    private void StepSnapshot(in Message m)
    {
        Snapshot? snapshot = m.Snapshot;
        if (snapshot is { Metadata: not null } && snapshot.Metadata.Index > _raw.BasicStatus().HardState.Commit)
        {
            // Only a snapshot beyond the commit index is restored; older ones the core just acknowledges.
            SnapshotValidationResult check = _snapshotCheck.Check(snapshot.Data);
            if (!check.Succeeded)
            {
                _log.Warning(RaftLogEvents.SnapshotProblem, $"node {_id:x}: refused snapshot [index: {snapshot.Metadata.Index}, term: {snapshot.Metadata.Term}, {snapshot.Data.Length} bytes] from {m.From:x}: the state machine cannot restore it: {check.FailureReason}");
                RefuseSnapshot(m);
                return;
            }
        }
        StepResult r = _raw.Step(m);
        if (r.IsRefused())
        {
            _counters.Refusals.Add(r);
            RefuseSnapshot(m);
        }
    }

    /// <summary>Counts a refused snapshot and queues the news for its sender, so it stops waiting for it.</summary>
    private void RefuseSnapshot(in Message m)
    {
        _counters.SnapshotsRefused++;
        if (m.From == LocalIds.None)
        {
            return;
        }
        _refusals.Add(new Message
        {
            Type = MessageType.SnapshotStatus,
            From = _id,
            To = m.From,
            Term = m.Term,
            Index = m.Snapshot?.Metadata?.Index ?? 0,
            Reject = true,
        });
    }

    /// <summary>
    /// A follower refused a snapshot this node sent: the core treats it as a failed delivery (it
    /// probes the follower again instead of waiting for the snapshot). Only a refusal from a member,
    /// in this node's current term, counts; the core ignores it unless that follower is waiting for
    /// a snapshot.
    /// </summary>
    private void OnPeerSnapshotStatus(in Message m)
    {
        if (!m.Reject || !_raw.IsMember(m.From) || m.Term != _raw.BasicStatus().HardState.Term)
        {
            return;
        }
        _counters.PeerSnapshotRefusals++;
        _raw.ReportSnapshot(m.From, SnapshotStatus.Failure);
    }
}
