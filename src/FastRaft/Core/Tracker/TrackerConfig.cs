using System.Text;
using FastRaft.Core.Quorum;

namespace FastRaft.Core.Tracker;

/// <summary>
/// The membership configuration tracked by the leader (etcd's tracker.Config): the voters
/// (possibly joint), the learners, and the learners staged to be added when a joint
/// configuration is left. Invariant: learners and voters never intersect.
/// </summary>
internal sealed class TrackerConfig
{
    public TrackerConfig() : this(new JointConfig(), new NodeIdSet(), new NodeIdSet(), false)
    {
    }

    private TrackerConfig(JointConfig voters, NodeIdSet learners, NodeIdSet learnersNext, bool autoLeave)
    {
        Voters = voters;
        Learners = learners;
        LearnersNext = learnersNext;
        AutoLeave = autoLeave;
    }

    public JointConfig Voters { get; }

    /// <summary>Whether a joint configuration is left automatically by the core once possible.</summary>
    public bool AutoLeave { get; set; }

    public NodeIdSet Learners { get; }

    /// <summary>
    /// Voters of the outgoing config that become learners when the joint config is left; they
    /// cannot be learners earlier without being voter and learner at once.
    /// </summary>
    public NodeIdSet LearnersNext { get; }

    /// <summary>A copy sharing nothing with this config.</summary>
    public TrackerConfig Clone() => new(Voters.Clone(), Learners.Clone(), LearnersNext.Clone(), AutoLeave);

    /// <summary>etcd's format: <c>voters=(1 2 3)&amp;&amp;(1) learners=(2) learners_next=(4) autoleave</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("voters=").Append(Voters.ToString());
        if (Learners.Count > 0)
        {
            sb.Append(" learners=").Append(Learners.ToString());
        }
        if (LearnersNext.Count > 0)
        {
            sb.Append(" learners_next=").Append(LearnersNext.ToString());
        }
        if (AutoLeave)
        {
            sb.Append(" autoleave");
        }
        return sb.ToString();
    }
}
