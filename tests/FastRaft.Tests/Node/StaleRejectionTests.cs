using FastRaft.Core;
using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Tests.Node;

/// <summary>
/// A rejection that a reordering network delivers after an acknowledgement sent later than it
/// (simulation seed 38277). etcd rewinds a replicating follower to Match + 1 on any rejection
/// above Match and resends the whole window; on a network that reorders most datagrams every
/// resent window brings more such rejections, and the traffic to a far-behind follower
/// multiplied until the simulation's storm limit. FastRaft ignores a rejection whose hint lies
/// below Match: a follower that has acknowledged Match still holds those entries, so any
/// rejection it sends now hints at or above Match.
/// </summary>
public class StaleRejectionTests
{
    private static readonly byte[] Payload = new byte[16];

    private static bool IsAppendTo2(Message m) => m.Type == MessageType.Append && m.To == 2 && !m.Entries.IsEmpty;

    private static bool IsResponseFrom2(Message m) => m.Type == MessageType.AppendResponse && m.From == 2;

    private static Progress ProgressOf(RawNode leader, ulong id) => leader.Status().Progress![id];

    /// <summary>Three appends to node 2 held back (one per proposal); node 2 in StateReplicate.</summary>
    private static (TestCluster Cluster, List<Message> Appends) ThreeHeldAppends()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        var held = new List<Message>();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(StepResult.Ok, c.Nodes[1].Propose(Payload));
            c.ProcessReady(1);
            held.AddRange(c.Take(IsAppendTo2));
        }
        Assert.Equal(3, held.Count);
        Assert.Equal(ProgressState.Replicate, ProgressOf(c.Nodes[1], 2).State);
        return (c, held);
    }

    /// <summary>Steps <paramref name="m"/> into node 2 and returns its one response.</summary>
    private static Message StepFollower(TestCluster c, Message m)
    {
        c.Nodes[2].Step(m);
        c.ProcessReady(2);
        List<Message> responses = c.Take(IsResponseFrom2);
        return Assert.Single(responses);
    }

    [Fact]
    public void A_rejection_hinting_below_match_leaves_the_window_alone()
    {
        (TestCluster c, List<Message> held) = ThreeHeldAppends();
        RawNode leader = c.Nodes[1];

        // The third append overtakes the first two: node 2 has a gap and rejects it.
        Message stale = StepFollower(c, held[2]);
        Assert.True(stale.Reject);
        // The first append arrives next and its acknowledgement reaches the leader first.
        Message ack = StepFollower(c, held[0]);
        Assert.False(ack.Reject);
        leader.Step(ack);
        c.ProcessReady(1);
        c.Take(m => m.Type == MessageType.Append && m.To == 2);
        Progress pr = ProgressOf(leader, 2);
        ulong next = pr.Next;
        Assert.True(stale.Index > pr.Match, "etcd would act on this rejection (its index is above Match)");
        Assert.True(stale.RejectHint < pr.Match);

        leader.Step(stale);
        c.ProcessReady(1);

        pr = ProgressOf(leader, 2);
        Assert.Equal(ProgressState.Replicate, pr.State);
        Assert.Equal(next, pr.Next);
        Assert.Empty(c.Take(m => m.Type == MessageType.Append && m.To == 2));

        // The rest of the window still lands: node 2 catches up without a resend.
        leader.Step(StepFollower(c, held[1]));
        leader.Step(StepFollower(c, held[2]));
        c.ProcessReady(1);
        Assert.Equal(leader.LastIndex, ProgressOf(leader, 2).Match);
    }

    [Fact]
    public void A_rejection_hinting_at_match_still_rewinds_to_probing()
    {
        (TestCluster c, List<Message> held) = ThreeHeldAppends();
        RawNode leader = c.Nodes[1];
        ulong match = ProgressOf(leader, 2).Match;

        // The first append is lost: node 2 rejects the second at its current end, which is Match.
        Message rejection = StepFollower(c, held[1]);
        Assert.True(rejection.Reject);
        Assert.Equal(match, rejection.RejectHint);

        leader.Step(rejection);
        c.ProcessReady(1);

        Progress pr = ProgressOf(leader, 2);
        Assert.Equal(ProgressState.Probe, pr.State);
        Assert.Equal(match + 1, pr.Next);
        Message resend = Assert.Single(c.Take(m => m.Type == MessageType.Append && m.To == 2));
        Assert.Equal(match, resend.Index);
    }
}
