using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Tests.Node;

/// <summary>
/// Proposals that cannot be taken are dropped and reported as a result (etcd's
/// ErrProposalDropped): the uncommitted-size budget (TestUncommittedEntryLimit,
/// TestRawNodeBoundedLogGrowthWithPartition), followers that must not forward, a leader that
/// left the configuration, and a malformed configuration change.
/// </summary>
public class ProposalDropTests
{
    private static readonly byte[] Data = "testdata"u8.ToArray();
    private const int MaxEntries = 16;
    private static readonly Func<Message, bool> CutLeader = TestClusterExtensions.Isolating(1);

    private static TestCluster NewLimitedCluster() =>
        new(3, cfg => cfg with { MaxUncommittedEntriesSize = (ulong)(MaxEntries * Data.Length) });

    private static void AssertDropped(StepResult expected, StepResult actual)
    {
        Assert.Equal(expected, actual);
        Assert.True(actual.IsProposalDropped());
        Assert.Equal("raft proposal dropped", actual.ErrorText());
    }

    [Fact]
    public void Uncommitted_size_limit_drops_proposals_until_the_tail_commits()
    {
        TestCluster c = NewLimitedCluster();
        c.Elect(1);
        RawNode leader = c.Nodes[1];

        // The leader is cut off: nothing commits, the uncommitted tail grows to the limit.
        for (int i = 0; i < MaxEntries; i++)
        {
            Assert.Equal(StepResult.Ok, leader.Propose(Data));
            c.Stabilize(CutLeader);
        }
        ulong last = leader.LastIndex;
        AssertDropped(StepResult.ProposalDroppedUncommittedSizeLimit, leader.Propose(Data));
        Assert.Equal(last, leader.LastIndex);

        // Empty entries are never refused (the leader's own empty entry and joint auto-leave rely on it).
        Assert.Equal(StepResult.Ok, leader.Propose(ReadOnlyMemory<byte>.Empty));
        Assert.Equal(last + 1, leader.LastIndex);

        // The partition heals; the tail commits and is applied, which frees the budget exactly.
        c.Tick(1, 1);
        Assert.Equal(leader.LastIndex, c.Commit(1));
        for (int i = 0; i < MaxEntries; i++)
        {
            Assert.Equal(StepResult.Ok, leader.Propose(Data));
            c.Stabilize(CutLeader);
        }
        AssertDropped(StepResult.ProposalDroppedUncommittedSizeLimit, leader.Propose(Data));
    }

    [Fact]
    public void Proposal_larger_than_the_limit_is_taken_when_nothing_is_uncommitted()
    {
        TestCluster c = NewLimitedCluster();
        c.Elect(1);
        RawNode leader = c.Nodes[1];

        Assert.Equal(StepResult.Ok, leader.Propose(new byte[10 * MaxEntries * Data.Length]));
        c.Stabilize(CutLeader);
        AssertDropped(StepResult.ProposalDroppedUncommittedSizeLimit, leader.Propose(Data));
        Assert.Equal(StepResult.Ok, leader.Propose(ReadOnlyMemory<byte>.Empty));
    }

    [Fact]
    public void Follower_with_forwarding_disabled_drops_proposals()
    {
        var c = new TestCluster(3, cfg => cfg with { DisableProposalForwarding = true });
        c.Elect(1);
        ulong last = c.Nodes[1].LastIndex;

        AssertDropped(StepResult.ProposalDroppedForwardingDisabled, c.Nodes[2].Propose(Data));
        Assert.False(c.Nodes[2].HasReady());
        c.Stabilize();
        Assert.Equal(last, c.Nodes[1].LastIndex);

        // The leader itself still takes proposals.
        Assert.Equal(StepResult.Ok, c.Nodes[1].Propose(Data));
    }

    [Fact]
    public void Follower_forwards_proposals_to_the_leader_by_default()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        ulong last = c.Nodes[1].LastIndex;

        Assert.Equal(StepResult.Ok, c.Nodes[2].Propose(Data));
        c.ProcessReady(2);
        Assert.Single(c.InFlight, m => m.Type == MessageType.Propose && m.To == 1);
        c.Stabilize();
        Assert.Equal(last + 1, c.Nodes[1].LastIndex);
        foreach (ulong id in c.Nodes.Keys)
        {
            Assert.Equal(Data, c.AppliedOf(id)[^1].Data.ToArray());
        }
    }

    [Fact]
    public void Leader_removed_from_the_configuration_drops_proposals()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        RawNode leader = c.Nodes[1];
        Assert.Equal(StepResult.Ok, leader.ProposeConfChange(new ConfChange(ConfChangeType.RemoveNode, 1)));
        c.Stabilize();
        Assert.False(leader.Status().Config.Voters.Contains(1));
        // Without StepDownOnRemoval it keeps its role, but takes nothing new.
        Assert.Equal(NodeRole.Leader, c.State(1));
        ulong last = leader.LastIndex;

        AssertDropped(StepResult.ProposalDroppedNotInConfiguration, leader.Propose(Data));
        AssertDropped(StepResult.ProposalDroppedNotInConfiguration, leader.ProposeConfChange(new ConfChange(ConfChangeType.AddNode, 1)));
        Assert.Equal(StepResult.Ok, c.Nodes[2].Propose(Data)); // forwarded, then dropped by the leader
        c.Stabilize();
        Assert.Equal(last, leader.LastIndex);
    }

    [Fact]
    public void Malformed_conf_change_proposal_is_dropped()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        RawNode leader = c.Nodes[1];
        ulong last = leader.LastIndex;

        var junk = new[] { new Entry(0, 0, EntryType.ConfChangeV2, new byte[] { 0xFF, 0xFF, 0xFF }) };
        StepResult r = leader.Step(new Message { Type = MessageType.Propose, From = 2, To = 1, Entries = junk });
        AssertDropped(StepResult.ProposalDroppedMalformed, r);
        Assert.Equal(last, leader.LastIndex);
        Assert.Equal(StepResult.Ok, leader.Propose(Data));
    }
}
