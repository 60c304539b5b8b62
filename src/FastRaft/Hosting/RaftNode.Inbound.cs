using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Hosting;

// Stepping what the transport delivered (node thread only). Everything received is checked
// before it counts: the core refuses invalid messages itself; here, a snapshot's data is checked
// by the state machine before the core sees it (once stepped, the core has moved its commit index
// and the next Ready would persist the snapshot), and a follower's refusal of one of this node's
// snapshots, which travels as a MsgSnapStatus, is handed to the core as a failed delivery.
public sealed partial class RaftNode<TResult>
{
    private void StepInbound(in Message m)
    {
        // A peer never speaks for this node: such a message is forged, or looped back by mistake.
        if (m.To != Id || m.From == Id)
        {
            Interlocked.Increment(ref _counters.MessagesDropped);
            return;
        }
        _counters.MessagesReceived++;
        switch (m.Type)
        {
            case MessageType.MsgSnap:
                StepSnapshot(m);
                return;
            case MessageType.MsgSnapStatus:
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

    private void StepSnapshot(in Message m)
    {
        Snapshot? snapshot = m.Snapshot;
        if (snapshot is { Metadata: not null } && snapshot.Metadata.Index > _raw.BasicStatus().HardState.Commit)
        {
            // Only a snapshot beyond the commit index is restored; older ones the core just acknowledges.
            SnapshotValidationResult check = ValidateSnapshotData(snapshot.Data);
            if (!check.Succeeded)
            {
                _log.Warning($"node {Id:x}: refused snapshot [index: {snapshot.Metadata.Index}, term: {snapshot.Metadata.Term}, {snapshot.Data.Length} bytes] from {m.From:x}: the state machine cannot restore it: {check.FailureReason}");
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

    /// <summary>The state machine's check; one that throws counts as a refusal (it must not fault the node).</summary>
    private SnapshotValidationResult ValidateSnapshotData(ReadOnlyMemory<byte> data)
    {
        try
        {
            return _stateMachine.ValidateSnapshot(data);
        }
        catch (Exception ex)
        {
            return SnapshotValidationResult.Fail($"the state machine's check threw {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Counts a refused snapshot and tells its sender the delivery failed, so it stops waiting for it.</summary>
    private void RefuseSnapshot(in Message m)
    {
        _counters.SnapshotsRefused++;
        if (m.From == LocalIds.None)
        {
            return;
        }
        _transport.Send(new Message
        {
            Type = MessageType.MsgSnapStatus,
            From = Id,
            To = m.From,
            Term = m.Term,
            Index = m.Snapshot?.Metadata?.Index ?? 0,
            Reject = true,
        });
        _transport.Flush();
        _counters.MessagesSent++;
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
        _raw.ReportSnapshot(m.From, SnapshotStatus.SnapshotFailure);
    }
}
