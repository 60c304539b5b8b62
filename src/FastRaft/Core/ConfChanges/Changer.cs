using FastRaft.Core.Quorum;
using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Core.ConfChanges;

/// <summary>
/// Computes configuration changes, simple or through joint consensus, validating them before
/// they can affect the active configuration (etcd's confchange.Changer). It never mutates the
/// tracker it is given: every change works on copies, which the caller installs on success.
/// </summary>
/// <param name="tracker">The tracker holding the current configuration and progress.</param>
/// <param name="lastIndex">The leader's last log index; new peers are probed from it.</param>
internal readonly struct Changer(ProgressTracker tracker, ulong lastIndex)
{
    /// <summary>The tracker holding the configuration and progress the changes start from (never modified).</summary>
    public ProgressTracker Tracker { get; } = tracker ?? throw new ArgumentNullException(nameof(tracker));

    /// <summary>The leader's last log index; a peer that is added starts probing from it.</summary>
    public ulong LastIndex { get; } = lastIndex;

    /// <summary>
    /// Enters a joint configuration: the current voters become the outgoing half and the
    /// changes are applied to the incoming half (C_old,new in the Raft thesis, section 4.3).
    /// </summary>
    public ConfChangeResult EnterJoint(bool autoLeave, ReadOnlySpan<ConfChangeSingle> ccs)
    {
        if (!CheckAndCopy(out TrackerConfig cfg, out ProgressMap trk, out string? err))
        {
            return ConfChangeResult.Fail(err);
        }
        if (cfg.Voters.IsJoint)
        {
            return ConfChangeResult.Fail("config is already joint");
        }
        if (cfg.Voters.Incoming.Count == 0)
        {
            // Adding to an empty config is allowed (bootstrap), making it joint is not.
            return ConfChangeResult.Fail("can't make a zero-voter config joint");
        }
        cfg.Voters.Outgoing.CopyFrom(cfg.Voters.Incoming);
        if (Apply(cfg, trk, ccs) is string applyErr)
        {
            return ConfChangeResult.Fail(applyErr);
        }
        cfg.AutoLeave = autoLeave;
        return CheckAndReturn(cfg, trk);
    }

    /// <summary>
    /// Leaves a joint configuration: the outgoing half is dropped, staged learners become
    /// learners, and peers that are in neither remaining set lose their progress.
    /// </summary>
    public ConfChangeResult LeaveJoint()
    {
        if (!CheckAndCopy(out TrackerConfig cfg, out ProgressMap trk, out string? err))
        {
            return ConfChangeResult.Fail(err);
        }
        if (!cfg.Voters.IsJoint)
        {
            return ConfChangeResult.Fail("can't leave a non-joint config");
        }
        foreach (ulong id in cfg.LearnersNext)
        {
            cfg.Learners.Add(id);
            trk[id].IsLearner = true;
        }
        cfg.LearnersNext.Clear();

        foreach (ulong id in cfg.Voters.Outgoing)
        {
            if (!cfg.Voters.Incoming.Contains(id) && !cfg.Learners.Contains(id))
            {
                trk.Remove(id);
            }
        }
        cfg.Voters.Outgoing.Clear();
        cfg.AutoLeave = false;
        return CheckAndReturn(cfg, trk);
    }

    /// <summary>
    /// Applies changes that together change the voters by at most one, outside a joint
    /// configuration; anything larger has to go through <see cref="EnterJoint"/>.
    /// </summary>
    public ConfChangeResult Simple(ReadOnlySpan<ConfChangeSingle> ccs)
    {
        if (!CheckAndCopy(out TrackerConfig cfg, out ProgressMap trk, out string? err))
        {
            return ConfChangeResult.Fail(err);
        }
        if (cfg.Voters.IsJoint)
        {
            return ConfChangeResult.Fail("can't apply simple config change in joint config");
        }
        if (Apply(cfg, trk, ccs) is string applyErr)
        {
            return ConfChangeResult.Fail(applyErr);
        }
        if (SymmetricDifference(Tracker.Config.Voters.Incoming, cfg.Voters.Incoming) > 1)
        {
            return ConfChangeResult.Fail("more than one voter changed without entering joint config");
        }
        return CheckAndReturn(cfg, trk);
    }

    // Voter changes always go to the incoming half; the outgoing half only preserves the old
    // voters while joint.
    private string? Apply(TrackerConfig cfg, ProgressMap trk, ReadOnlySpan<ConfChangeSingle> ccs)
    {
        foreach (ConfChangeSingle cc in ccs)
        {
            if (cc.NodeId == 0)
            {
                // Applications zero the id of a change they decided not to apply.
                continue;
            }
            switch (cc.Type)
            {
                case ConfChangeType.AddNode:
                    MakeVoter(cfg, trk, cc.NodeId);
                    break;
                case ConfChangeType.AddLearnerNode:
                    MakeLearner(cfg, trk, cc.NodeId);
                    break;
                case ConfChangeType.RemoveNode:
                    Remove(cfg, trk, cc.NodeId);
                    break;
                case ConfChangeType.UpdateNode:
                    break;
                default:
                    return $"unexpected conf type {(int)cc.Type}";
            }
        }
        return cfg.Voters.Incoming.Count == 0 ? "removed all voters" : null;
    }

    private void MakeVoter(TrackerConfig cfg, ProgressMap trk, ulong id)
    {
        if (!trk.TryGetValue(id, out Progress? pr))
        {
            InitProgress(cfg, trk, id, isLearner: false);
            return;
        }
        pr.IsLearner = false;
        cfg.Learners.Remove(id);
        cfg.LearnersNext.Remove(id);
        cfg.Voters.Incoming.Add(id);
    }

    // A voter of the outgoing config cannot become a learner while joint (it would be both), so
    // it is staged in LearnersNext until the joint config is left.
    private void MakeLearner(TrackerConfig cfg, ProgressMap trk, ulong id)
    {
        if (!trk.TryGetValue(id, out Progress? pr))
        {
            InitProgress(cfg, trk, id, isLearner: true);
            return;
        }
        if (pr.IsLearner)
        {
            return;
        }
        // Drop the voter from the incoming config but keep its progress.
        Remove(cfg, trk, id);
        trk[id] = pr;
        if (cfg.Voters.Outgoing.Contains(id))
        {
            cfg.LearnersNext.Add(id);
        }
        else
        {
            pr.IsLearner = true;
            cfg.Learners.Add(id);
        }
    }

    private static void Remove(TrackerConfig cfg, ProgressMap trk, ulong id)
    {
        if (!trk.ContainsKey(id))
        {
            return;
        }
        cfg.Voters.Incoming.Remove(id);
        cfg.Learners.Remove(id);
        cfg.LearnersNext.Remove(id);
        // A voter of the outgoing config still needs its progress until the joint config is left.
        if (!cfg.Voters.Outgoing.Contains(id))
        {
            trk.Remove(id);
        }
    }

    private void InitProgress(TrackerConfig cfg, ProgressMap trk, ulong id, bool isLearner)
    {
        if (isLearner)
        {
            cfg.Learners.Add(id);
        }
        else
        {
            cfg.Voters.Incoming.Add(id);
        }
        trk[id] = new Progress(new Inflights(Tracker.MaxInflight, Tracker.MaxInflightBytes))
        {
            // Probing from the last index is optimistic: a new peer usually needs a snapshot.
            Match = 0,
            Next = Math.Max(LastIndex, 1),
            IsLearner = isLearner,
            // A new peer counts as active so that CheckQuorum does not step down before it is heard from.
            RecentActive = true,
        };
    }

    private bool CheckAndCopy(out TrackerConfig cfg, out ProgressMap trk, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        cfg = Tracker.Config.Clone();
        trk = Tracker.Progress.Clone();
        error = ConfigInvariants.Check(cfg, trk);
        return error is null;
    }

    private static ConfChangeResult CheckAndReturn(TrackerConfig cfg, ProgressMap trk) =>
        ConfigInvariants.Check(cfg, trk) is string err ? ConfChangeResult.Fail(err) : new ConfChangeResult(cfg, trk, null);

    /// <summary>How many ids are in exactly one of the two sets.</summary>
    private static int SymmetricDifference(MajorityConfig l, MajorityConfig r)
    {
        int n = 0;
        foreach (ulong id in l)
        {
            if (!r.Contains(id))
            {
                n++;
            }
        }
        foreach (ulong id in r)
        {
            if (!l.Contains(id))
            {
                n++;
            }
        }
        return n;
    }
}
