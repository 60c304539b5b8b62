using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Core.ConfChanges;

/// <summary>
/// Rebuilds a configuration from a <see cref="ConfState"/> (etcd's confchange.Restore) by
/// replaying changes from an empty configuration: for a joint state, the outgoing voters are
/// added one by one and the joint state is then entered with the incoming voters and learners.
/// </summary>
internal static class ConfChangeRestore
{
    /// <summary>
    /// Runs the changes on copies: <paramref name="chg"/>'s tracker (which must hold an empty
    /// configuration) is left untouched; install the result on success.
    /// </summary>
    public static ConfChangeResult Restore(Changer chg, ConfState cs)
    {
        ArgumentNullException.ThrowIfNull(cs);
        // Intermediate steps go into a scratch tracker so that the caller's is not mutated.
        var scratch = new ProgressTracker(chg.Tracker.MaxInflight, chg.Tracker.MaxInflightBytes)
        {
            Config = chg.Tracker.Config,
            Progress = chg.Tracker.Progress,
        };
        var step = new Changer(scratch, chg.LastIndex);

        ConfChangeSingle[] incoming = IncomingChanges(cs);
        if (cs.VotersOutgoing.Length == 0)
        {
            foreach (ConfChangeSingle cc in incoming)
            {
                if (!Install(scratch, step.Simple([cc]), out ConfChangeResult failed))
                {
                    return failed;
                }
            }
        }
        else
        {
            // Make the outgoing voters the (temporarily incoming) config, then enter the joint
            // state, which rotates them into the outgoing half.
            foreach (ulong id in cs.VotersOutgoing)
            {
                if (!Install(scratch, step.Simple([new ConfChangeSingle(ConfChangeType.AddNode, id)]), out ConfChangeResult failed))
                {
                    return failed;
                }
            }
            if (!Install(scratch, step.EnterJoint(cs.AutoLeave, incoming), out ConfChangeResult joinFailed))
            {
                return joinFailed;
            }
        }
        return new ConfChangeResult(scratch.Config, scratch.Progress, null);
    }

    /// <summary>
    /// Remove every outgoing voter, then add the voters, the learners and the staged learners
    /// (the latter become LearnersNext because they are still outgoing voters).
    /// </summary>
    private static ConfChangeSingle[] IncomingChanges(ConfState cs)
    {
        var ccs = new List<ConfChangeSingle>(cs.VotersOutgoing.Length + cs.Voters.Length + cs.Learners.Length + cs.LearnersNext.Length);
        foreach (ulong id in cs.VotersOutgoing)
        {
            ccs.Add(new ConfChangeSingle(ConfChangeType.RemoveNode, id));
        }
        foreach (ulong id in cs.Voters)
        {
            ccs.Add(new ConfChangeSingle(ConfChangeType.AddNode, id));
        }
        foreach (ulong id in cs.Learners)
        {
            ccs.Add(new ConfChangeSingle(ConfChangeType.AddLearnerNode, id));
        }
        foreach (ulong id in cs.LearnersNext)
        {
            ccs.Add(new ConfChangeSingle(ConfChangeType.AddLearnerNode, id));
        }
        return [.. ccs];
    }

    private static bool Install(ProgressTracker scratch, ConfChangeResult r, out ConfChangeResult failed)
    {
        failed = r;
        if (!r.Ok)
        {
            return false;
        }
        scratch.Config = r.Config;
        scratch.Progress = r.Progress;
        return true;
    }
}
