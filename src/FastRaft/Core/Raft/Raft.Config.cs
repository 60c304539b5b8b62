using FastRaft.Core.ConfChanges;
using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Core;

// Applying entries and snapshots, and switching configurations.
internal sealed partial class Raft
{
    internal void AppliedTo(ulong index, ulong size)
    {
        ulong oldApplied = Log.Applied;
        ulong newApplied = Math.Max(index, oldApplied);
        Log.AppliedTo(newApplied, size);

        if (Trk.Config.AutoLeave && newApplied >= PendingConfIndex && State == NodeRole.Leader)
        {
            LeaveJointAutomatically();
        }
    }

    /// <summary>Proposes leaving the joint configuration (auto-leave), now that the entering change is applied.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void LeaveJointAutomatically()
    {
        // Leave the joint configuration now. The empty entry cannot be refused for size;
        // it can be dropped during a leader transfer, and then we retry on the next apply.
        _scratchProposal[0] = new Entry(0, 0, EntryType.ConfChangeV2, ReadOnlyMemory<byte>.Empty);
        var m = new Message { Type = MessageType.Propose, Entries = _scratchProposal };
        StepResult r = Step(m);
        if (r != StepResult.Ok)
        {
            _log.Debug($"not initiating automatic transition out of joint configuration {Trk.Config}: {r.ErrorText()}");
        }
        else
        {
            _log.Info($"initiating automatic transition out of joint configuration {Trk.Config}");
        }
    }

    private readonly Entry[] _scratchProposal = new Entry[1];

    /// <summary>
    /// Completes a pending step-down once every voter of the incoming configuration matches the
    /// whole log (their logs are then as up to date as ours, so our vote cannot block them), or
    /// after an election timeout of waiting.
    /// </summary>
    private void FinishStepDownIfReady()
    {
        if (!_stepDownPending)
        {
            return;
        }
        ulong last = Log.LastIndex();
        bool caughtUp = true;
        foreach (ulong id in Trk.Config.Voters.Incoming.Ids)
        {
            if (id != Id && (!Trk.Progress.TryGetValue(id, out Progress? pr) || pr.Match < last))
            {
                caughtUp = false;
                break;
            }
        }
        if (!caughtUp && _stepDownWaitTicks < _electionTimeout)
        {
            return;
        }
        _stepDownPending = false;
        _log.Info($"{Id:x} stepping down after removal ({(caughtUp ? "the new voters hold the whole log" : "waited an election timeout")})");
        BecomeFollower(Term, LocalIds.None);
    }

    internal void AppliedSnap(Snapshot snap)
    {
        ulong index = snap.Metadata.Index;
        Log.StableSnapTo(index);
        AppliedTo(index, 0);
    }

    internal ConfChangeResult ApplyConfChange(ConfChangeV2 cc)
    {
        var changer = new Changer(Trk, Log.LastIndex());
        ConfChangeResult result;
        if (cc.LeaveJoint)
        {
            result = changer.LeaveJoint();
        }
        else if (cc.EnterJoint(out bool autoLeave))
        {
            result = changer.EnterJoint(autoLeave, cc.Changes);
        }
        else
        {
            result = changer.Simple(cc.Changes);
        }
        if (result.Ok)
        {
            SwitchToConfig(result.Config!, result.Progress!);
        }
        return result;
    }

    /// <summary>
    /// Installs a configuration and reacts to it: a removed or demoted leader may step down,
    /// a leader commits what the new quorum allows and probes new peers, and a transfer to a
    /// peer that is no longer a voter is aborted.
    /// </summary>
    internal ConfState SwitchToConfig(TrackerConfig cfg, ProgressMap progress)
    {
        Trk.Config = cfg;
        Trk.Progress = progress;

        _log.Info($"{Id:x} switched to configuration {Trk.Config}");
        ConfState cs = Trk.ConfState();
        bool present = Trk.Progress.TryGetValue(Id, out Progress? pr);
        IsLearner = present && pr!.IsLearner;

        if ((!present || IsLearner) && State == NodeRole.Leader)
        {
            if (_stepDownOnRemoval && _stepDownAfterCatchUp)
            {
                // Hand the log over first: push it to the new voters, step down once they hold it.
                _stepDownPending = true;
                _stepDownWaitTicks = 0;
                BcastAppend();
                FinishStepDownIfReady();
            }
            else if (_stepDownOnRemoval)
            {
                BecomeFollower(Term, LocalIds.None);
            }
            return cs;
        }
        _stepDownPending = false;

        // The rest only matters to a leader with voters.
        if (State != NodeRole.Leader || cs.Voters.Length == 0)
        {
            return cs;
        }

        if (TryCommit())
        {
            BcastAppend();
        }
        else
        {
            // Probe newly added peers now rather than at the next heartbeat or proposal.
            foreach (KeyValuePair<ulong, Progress> kv in Trk.Progress)
            {
                if (kv.Key != Id)
                {
                    TrySendAppend(kv.Key, kv.Value, sendIfEmpty: false);
                }
            }
        }
        if (LeadTransferee != LocalIds.None && !Trk.Config.Voters.Contains(LeadTransferee))
        {
            AbortLeaderTransfer();
        }
        return cs;
    }
}
