using FastRaft.Core.Tracker;

namespace FastRaft.Core.ConfChanges;

/// <summary>
/// The consistency rules between a configuration and its progress map (etcd's
/// checkInvariants), checked on what the <see cref="Changer"/> starts from and what it returns.
/// Ids are checked in ascending order so that the first violation reported is deterministic.
/// </summary>
internal static class ConfigInvariants
{
    /// <summary>The first violated invariant as etcd words it, or null.</summary>
    public static string? Check(TrackerConfig cfg, ProgressMap trk)
    {
        // The empty config is allowed: it is what bootstrap starts from.
        foreach (ulong id in cfg.Voters.Ids())
        {
            if (!trk.ContainsKey(id))
            {
                return $"no progress for {id}";
            }
        }
        foreach (ulong id in cfg.Learners)
        {
            if (!trk.ContainsKey(id))
            {
                return $"no progress for {id}";
            }
        }
        foreach (ulong id in cfg.LearnersNext)
        {
            if (!trk.ContainsKey(id))
            {
                return $"no progress for {id}";
            }
        }

        // A staged learner is staged only because it is still a voter in the outgoing config.
        foreach (ulong id in cfg.LearnersNext)
        {
            if (!cfg.Voters.Outgoing.Contains(id))
            {
                return $"{id} is in LearnersNext, but not Voters.Outgoing";
            }
            if (trk[id].IsLearner)
            {
                return $"{id} is in LearnersNext, but is already marked as learner";
            }
        }

        // Learners and voters never intersect.
        foreach (ulong id in cfg.Learners)
        {
            if (cfg.Voters.Outgoing.Contains(id))
            {
                return $"{id} is in Learners and Voters.Outgoing";
            }
            if (cfg.Voters.Incoming.Contains(id))
            {
                return $"{id} is in Learners and Voters.Incomming";
            }
            if (!trk[id].IsLearner)
            {
                return $"{id} is in Learners, but is not marked as learner";
            }
        }

        if (!cfg.Voters.IsJoint)
        {
            // An empty outgoing config is what "not joint" means here, so only these two remain.
            if (cfg.LearnersNext.Count > 0)
            {
                return "cfg.LearnersNext must be nil when not joint";
            }
            if (cfg.AutoLeave)
            {
                return "AutoLeave must be false when not joint";
            }
        }
        return null;
    }
}
