using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Protocol;

namespace FastRaft.Tests.Hosting.Quiescence;

/// <summary>
/// Quiescence (<see cref="RaftNodeOptions.QuiesceAfterTicks"/>): an idle group stops ticking and
/// sending on every replica, wakes for requests and messages, and still elects a new leader when
/// its leader's node dies. Driven step by step on a fake clock (<see cref="QuiescingCluster"/>).
/// </summary>
public class QuiescenceTests
{
    private static readonly byte[] Payload = [1, 2, 3, 4, 5, 6, 7, 8];

    [Fact]
    public void An_idle_group_quiesces_on_every_replica_and_then_neither_ticks_nor_sends()
    {
        using var c = new QuiescingCluster();
        RaftNodeAgent<ulong> leader = c.Elect();

        c.RunUntilQuiesced();
        RaftNodeCounters[] before = c.Agents.Select(a => a.Counters).ToArray();
        // Many election timeouts: the followers check the leader's liveness now and then, nothing more.
        c.Rounds(300);

        for (int i = 0; i < c.Agents.Count; i++)
        {
            RaftNodeCounters now = c.Agents[i].Counters;
            Assert.True(c.Agents[i].IsQuiesced);
            Assert.Equal(1, now.Quiesces);
            Assert.Equal(0, now.Wakes);
            Assert.Equal(before[i].Ticks, now.Ticks);
            Assert.Equal(before[i].MessagesSent, now.MessagesSent);
        }
        Assert.Equal(long.MaxValue, leader.Deadline);
        foreach (RaftNodeAgent<ulong> follower in c.Agents.Where(a => a != leader))
        {
            // A follower only keeps a coarse deadline: its next look at the leader's liveness.
            Assert.InRange(follower.Deadline, c.Time.GetTimestamp(), long.MaxValue - 1);
        }
        Assert.True(leader.IsLeader);
    }

    [Fact]
    public async Task A_proposal_wakes_the_quiesced_group_commits_on_every_replica_and_the_group_quiesces_again()
    {
        using var c = new QuiescingCluster();
        RaftNodeAgent<ulong> leader = c.Elect();
        c.RunUntilQuiesced();

        ValueTask<ProposeResult<ulong>> proposal = leader.ProposeAsync(Payload);
        c.RunUntil(() => proposal.IsCompleted && c.StateMachines.All(sm => sm.Applied.Count > 0), "the proposal applied everywhere");

        ProposeResult<ulong> result = await proposal;
        Assert.Equal(RequestStatus.Ok, result.Status);
        foreach (SequenceStateMachine sm in c.StateMachines)
        {
            Assert.Equal(result.Index, sm.Applied[^1].Index);
        }
        // The request woke the leader; its append woke the followers.
        Assert.All(c.Agents, a => Assert.Equal(1, a.Counters.Wakes));

        c.RunUntilQuiesced();
        Assert.All(c.Agents, a => Assert.Equal(2, a.Counters.Quiesces));
    }

    [Fact]
    public async Task A_read_on_a_quiesced_follower_wakes_it_and_its_message_wakes_the_leader()
    {
        using var c = new QuiescingCluster();
        RaftNodeAgent<ulong> leader = c.Elect();
        c.RunUntilQuiesced();
        RaftNodeAgent<ulong> follower = c.Agent(2);

        ValueTask<ReadResult> read = follower.ReadIndexAsync();
        c.Round();
        // The follower woke for the request, the leader for the follower's MsgReadIndex.
        Assert.Equal(1, follower.Counters.Wakes);
        Assert.Equal(1, leader.Counters.Wakes);
        c.RunUntil(() => read.IsCompleted, "the read answered");

        Assert.Equal(RequestStatus.Ok, (await read).Status);
    }

    [Fact]
    public void When_liveness_declares_the_leaders_node_dead_the_quiesced_followers_resume_ticking_and_elect_a_new_leader()
    {
        using var c = new QuiescingCluster();
        RaftNodeAgent<ulong> old = c.Elect();
        ulong oldTerm = old.Term;
        c.RunUntilQuiesced();

        c.Network.Isolate(old.Id);
        c.Liveness.Dead.Add(old.Id);
        c.RunUntil(() => c.Agents.Any(a => a != old && a.IsLeader), "a new leader", 500);

        RaftNodeAgent<ulong> next = c.Agents.Single(a => a != old && a.IsLeader);
        Assert.True(next.Term > oldTerm);
        foreach (RaftNodeAgent<ulong> follower in c.Agents.Where(a => a != old))
        {
            Assert.Equal(1, follower.Counters.LivenessWakes);
        }
        // The old leader heard nothing and ticked nothing: it is still quiesced, and still thinks it leads.
        Assert.True(old.IsQuiesced);
        Assert.True(old.IsLeader);
    }

    [Fact]
    public async Task A_partitioned_quiesced_leader_steps_down_when_it_hears_the_new_term_and_then_follows()
    {
        using var c = new QuiescingCluster();
        RaftNodeAgent<ulong> old = c.Elect();
        c.RunUntilQuiesced();
        c.Network.Isolate(old.Id);
        c.Liveness.Dead.Add(old.Id);
        c.RunUntil(() => c.Agents.Any(a => a != old && a.IsLeader), "a new leader", 500);
        RaftNodeAgent<ulong> next = c.Agents.Single(a => a != old && a.IsLeader);

        c.Network.Heal();
        c.Liveness.Dead.Clear();
        c.RunUntil(() => !old.IsLeader && old.Leader == next.Id, "the old leader following the new one");
        Assert.Equal(next.Term, old.Term);
        Assert.True(old.Counters.Wakes >= 1);

        ValueTask<ProposeResult<ulong>> proposal = next.ProposeAsync(Payload);
        c.RunUntil(() => proposal.IsCompleted && c.StateMachines.All(sm => sm.Applied.Count > 0), "a proposal applied everywhere");
        ProposeResult<ulong> result = await proposal;
        Assert.Equal(RequestStatus.Ok, result.Status);
        Assert.All(c.StateMachines, sm => Assert.Equal(result.Index, sm.Applied[^1].Index));
    }

    [Fact]
    public async Task A_follower_that_did_not_quiesce_campaigns_and_its_prevote_wakes_the_quiesced_leader_which_keeps_leading()
    {
        // Node 3 never quiesces: with the leader silent, its election timer fires.
        using var c = new QuiescingCluster(quiesceAfter: id => id == 3 ? 0 : QuiescingCluster.QuiesceAfter);
        RaftNodeAgent<ulong> leader = c.Elect();
        ulong term = leader.Term;
        c.RunUntil(() => leader.IsQuiesced && c.Agent(2).IsQuiesced, "the leader and node 2 quiesced", 200);

        c.RunUntil(() => leader.Counters.Wakes > 0, "node 3's pre-vote waking the leader", 200);
        c.RunUntil(() => c.Agent(3).Leader == leader.Id && c.Agent(3).Role == NodeRole.Follower, "node 3 following again");

        // Pre-vote kept the term: no election disrupted the group.
        Assert.True(leader.IsLeader);
        Assert.Equal(term, leader.Term);
        Assert.All(c.Agents, a => Assert.Equal(term, a.Term));
        ValueTask<ProposeResult<ulong>> proposal = leader.ProposeAsync(Payload);
        c.RunUntil(() => proposal.IsCompleted && c.StateMachines.All(sm => sm.Applied.Count > 0), "a proposal applied everywhere");
        Assert.Equal(RequestStatus.Ok, (await proposal).Status);
    }

    [Fact]
    public async Task A_lease_read_on_a_woken_leader_waits_for_a_heartbeat_round_then_the_lease_is_trusted_again()
    {
        using var c = new QuiescingCluster(readOnly: ReadOnlyOption.LeaseBased);
        RaftNodeAgent<ulong> leader = c.Elect();
        c.RunUntilQuiesced();
        Assert.True(leader.RawNode.IsLeaseSuspect);

        ValueTask<ReadResult> read = leader.ReadIndexAsync();
        c.RunUntil(() => read.IsCompleted, "the read answered");

        Assert.Equal(RequestStatus.Ok, (await read).Status);
        Assert.False(leader.RawNode.IsLeaseSuspect);
    }

    [Fact]
    public async Task A_lease_read_on_a_partitioned_leader_woken_after_a_new_leader_committed_is_not_served_from_its_stale_lease()
    {
        using var c = new QuiescingCluster(readOnly: ReadOnlyOption.LeaseBased);
        RaftNodeAgent<ulong> old = c.Elect();
        c.RunUntilQuiesced();
        c.Network.Isolate(old.Id);
        c.Liveness.Dead.Add(old.Id);
        c.RunUntil(() => c.Agents.Any(a => a != old && a.IsLeader), "a new leader", 500);
        RaftNodeAgent<ulong> next = c.Agents.Single(a => a != old && a.IsLeader);
        ValueTask<ProposeResult<ulong>> write = next.ProposeAsync(Payload);
        c.RunUntil(() => write.IsCompleted, "a write on the new leader");
        ProposeResult<ulong> written = await write;
        Assert.Equal(RequestStatus.Ok, written.Status);
        Assert.True(old.IsLeader && old.CommitIndex < written.Index);

        // Served from the lease, this read would complete at once below the new write: stale.
        ValueTask<ReadResult> read = old.ReadIndexAsync();
        c.RunUntil(() => read.IsCompleted, "the read on the old leader finished");

        Assert.NotEqual(RequestStatus.Ok, (await read).Status);
    }

    [Fact]
    public void Quiesced_agents_allocate_nothing_over_many_duty_cycles_and_liveness_checks()
    {
        using var c = new QuiescingCluster();
        c.Elect();
        c.RunUntilQuiesced();
        c.Rounds(50);

        long allocated = AllocationCounter.Steady(() => c.Rounds(500));

        Assert.Equal(0, allocated);
        Assert.True(c.AllQuiesced);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(6, true)]
    [InlineData(-1, true)]
    [InlineData(3, false)]
    public void QuiesceAfterTicks_is_checked_against_the_heartbeat_and_election_ticks_and_needs_liveness(int ticks, bool withLiveness)
    {
        var options = new RaftNodeOptions
        {
            Raft = new RaftConfig { Id = 1, ElectionTick = 10, HeartbeatTick = 1 },
            QuiesceAfterTicks = ticks,
            Liveness = withLiveness ? new FakeLiveness() : null,
        };

        string? problem = options.Validate();

        Assert.NotNull(problem);
        Assert.Contains("QuiesceAfterTicks", problem);
    }

    [Fact]
    public void QuiesceAfterTicks_within_its_range_with_liveness_is_valid()
    {
        var options = new RaftNodeOptions
        {
            Raft = new RaftConfig { Id = 1, ElectionTick = 10, HeartbeatTick = 1 },
            QuiesceAfterTicks = 5,
            Liveness = new FakeLiveness(),
        };

        Assert.Null(options.Validate());
    }
}
