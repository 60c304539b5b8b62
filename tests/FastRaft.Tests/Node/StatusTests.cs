using FastRaft.Core;
using FastRaft.Core.Tracker;

namespace FastRaft.Tests.Node;

/// <summary>Status: the public configuration and per-peer views match the tracker they are copied from.</summary>
public class StatusTests
{
    [Fact]
    public void The_leader_reports_every_peers_progress_and_the_configuration()
    {
        var c = new CoreTestCluster(3);
        c.Elect(1);
        c.Stabilize();

        Status st = c.Nodes[1].Status();
        Assert.Equal([1UL, 2UL, 3UL], st.ConfState.Voters);
        Assert.Empty(st.ConfState.Learners);
        Assert.NotNull(st.Peers);
        Assert.NotNull(st.Progress);
        Assert.Equal(3, st.Peers.Count);
        ulong last = c.Nodes[1].Raft.Log.LastIndex();
        foreach ((ulong id, PeerProgress peer) in st.Peers)
        {
            Progress pr = st.Progress[id];
            Assert.Equal(new PeerProgress(pr.Match, pr.Next, pr.State, pr.IsLearner, pr.RecentActive, pr.IsPaused()), peer);
            Assert.Equal(last, peer.Match);
            Assert.Equal(last + 1, peer.Next);
            Assert.Equal(ProgressState.Replicate, peer.State);
        }
    }

    [Fact]
    public void A_follower_reports_the_configuration_but_no_progress()
    {
        var c = new CoreTestCluster(3);
        c.Elect(1);
        c.Stabilize();

        Status st = c.Nodes[2].Status();
        Assert.Equal([1UL, 2UL, 3UL], st.ConfState.Voters);
        Assert.Null(st.Peers);
        Assert.Null(st.Progress);
    }
}
