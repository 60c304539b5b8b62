using FastRaft.Hosting;

namespace FastRaft.Tests.Hosting;

/// <summary>
/// Proposals queued together reach the core as one MsgProp per group: each must still learn its
/// own index, and its own result, in the order it was queued.
/// </summary>
public class ProposalBatchingTests
{
    [Fact]
    public async Task Proposals_queued_together_each_complete_with_their_own_entry_and_result()
    {
        await using var cluster = new TestHostCluster(3);
        cluster.StartAll();
        RaftNode<ulong> leader = await cluster.WaitForLeaderAsync();

        // Several rounds of many proposals in flight at once, so the node drains them in groups.
        const int Rounds = 5, PerRound = 600;
        var all = new List<(ulong Id, ProposeResult<ulong> Result)>();
        ulong next = 1;
        for (int round = 0; round < Rounds; round++)
        {
            var ids = new ulong[PerRound];
            var pending = new Task<ProposeResult<ulong>>[PerRound];
            for (int i = 0; i < PerRound; i++)
            {
                ids[i] = next++;
                pending[i] = leader.ProposeAsync(RecordingStateMachine.Payload(ids[i])).AsTask();
            }
            ProposeResult<ulong>[] results = await Task.WhenAll(pending).WaitAsync(TestHostCluster.Timeout);
            for (int i = 0; i < PerRound; i++)
            {
                all.Add((ids[i], results[i]));
            }
        }

        Assert.All(all, p => Assert.Equal(RequestStatus.Ok, p.Result.Status));
        Assert.Equal(all.Count, all.Select(p => p.Result.Index).Distinct().Count());
        // Queued in order, appended in order.
        for (int i = 1; i < all.Count; i++)
        {
            Assert.True(all[i].Result.Index > all[i - 1].Result.Index, $"proposal {all[i].Id} landed at {all[i].Result.Index}, before {all[i - 1].Result.Index}");
        }
        await cluster.WaitForConvergenceAsync();
        // Each result is the state machine's count after that proposal's own entry: the counts run 1..N in proposal order.
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (ulong)i), all.Select(p => p.Result.Value));
        Assert.Equal((ulong)all.Count, cluster.StateMachines[leader.Id].State.Count);
    }

    [Fact]
    public async Task Grouped_proposals_stay_within_the_uncommitted_size_limit()
    {
        await using var cluster = new TestHostCluster(3, options: id =>
        {
            RaftNodeOptions o = TestHostCluster.DefaultOptions(id, null);
            return o with { Raft = o.Raft with { MaxUncommittedEntriesSize = 256 } };
        });
        cluster.StartAll();
        RaftNode<ulong> leader = await cluster.WaitForLeaderAsync();
        // Nothing commits while the leader is cut off, so the budget only fills.
        cluster.Network.Isolate(leader.Id);
        var proposals = new Task<ProposeResult<ulong>>[40];
        for (int i = 0; i < proposals.Length; i++)
        {
            proposals[i] = leader.ProposeAsync(RecordingStateMachine.Payload((ulong)i + 1, size: 32)).AsTask();
        }
        await TestHostCluster.Eventually(
            () => leader.Counters.ProposalsAccepted + leader.Counters.ProposalsDropped == proposals.Length, "the proposals to reach the node");

        // 256 bytes hold eight 32-byte proposals, however they were grouped; the rest are dropped.
        Assert.Equal(8, leader.Counters.ProposalsAccepted);
        Assert.Equal(32, leader.Counters.ProposalsDropped);
    }
}
