using FastRaft.Core;
using FastRaft.Hosting;

namespace FastRaft.Tests.Hosting;

/// <summary>
/// Each test isolates a leader and needs it to keep leading (and appending) however slowly the
/// test thread runs, so check-quorum, which would depose it, is off.
/// </summary>
public class LostProposalTests
{
    private static RaftNodeOptions WithoutCheckQuorum(RaftNodeOptions o) => o with { Raft = o.Raft with { CheckQuorum = false } };

    [Fact]
    public async Task Proposals_of_a_deposed_leader_overwritten_by_the_new_leader_fail_as_lost()
    {
        await using var cluster = new TestHostCluster(3, options: id => WithoutCheckQuorum(TestHostCluster.DefaultOptions(id, null)));
        cluster.StartAll();
        RaftNode<ulong> old = await cluster.WaitForLeaderAsync();
        cluster.Network.Isolate(old.Id);
        // Appended to the isolated leader's log only: they can never commit.
        var doomed = new Task<ProposeResult<ulong>>[5];
        for (int i = 0; i < doomed.Length; i++)
        {
            doomed[i] = old.ProposeAsync(RecordingStateMachine.Payload(100 + (ulong)i)).AsTask();
        }
        await TestHostCluster.Eventually(() => old.Counters.ProposalsAccepted == doomed.Length, "the isolated leader to append them");

        // The others elect a leader that writes over those indexes.
        await TestHostCluster.Eventually(() => cluster.Running.Any(n => n.Id != old.Id && n.IsLeader), "a new leader");
        RaftNode<ulong> replacement = cluster.Running.First(n => n.Id != old.Id && n.IsLeader);
        var writes = new Task<ProposeResult<ulong>>[20];
        for (int i = 0; i < writes.Length; i++)
        {
            writes[i] = replacement.ProposeAsync(RecordingStateMachine.Payload(1 + (ulong)i)).AsTask();
        }
        ProposeResult<ulong>[] written = await Task.WhenAll(writes).WaitAsync(TestHostCluster.Timeout);
        Assert.All(written, w => Assert.True(w.IsOk, w.ToString()));

        cluster.Network.Heal();
        ProposeResult<ulong>[] lost = await Task.WhenAll(doomed).WaitAsync(TestHostCluster.Timeout);

        Assert.All(lost, r => Assert.Equal(RequestStatus.Lost, r.Status));
        await cluster.WaitForAppliedAsync(written.Max(w => w.Index));
        await cluster.WaitForConvergenceAsync();
        Assert.All(cluster.StateMachines.Values, sm => Assert.False(sm.Contains(100)));
    }

    [Fact]
    public async Task Proposals_a_deposed_leader_skips_with_a_snapshot_end_as_unknown()
    {
        var policy = new SnapshotPolicy { EveryEntries = 20, KeepEntries = 5 };
        await using var cluster = new TestHostCluster(3, options: id => WithoutCheckQuorum(TestHostCluster.DefaultOptions(id, null, policy)));
        cluster.StartAll();
        RaftNode<ulong> old = await cluster.WaitForLeaderAsync();
        cluster.Network.Isolate(old.Id);
        var stranded = new Task<ProposeResult<ulong>>[5];
        for (int i = 0; i < stranded.Length; i++)
        {
            stranded[i] = old.ProposeAsync(RecordingStateMachine.Payload(100 + (ulong)i)).AsTask();
        }
        await TestHostCluster.Eventually(() => old.Counters.ProposalsAccepted == stranded.Length, "the isolated leader to append them");

        // The others move on far enough to snapshot and compact past those indexes.
        await TestHostCluster.Eventually(() => cluster.Running.Any(n => n.Id != old.Id && n.IsLeader), "a new leader");
        RaftNode<ulong> replacement = cluster.Running.First(n => n.Id != old.Id && n.IsLeader);
        var writes = new Task<ProposeResult<ulong>>[200];
        for (int i = 0; i < writes.Length; i++)
        {
            writes[i] = replacement.ProposeAsync(RecordingStateMachine.Payload(1 + (ulong)i)).AsTask();
        }
        ProposeResult<ulong>[] written = await Task.WhenAll(writes).WaitAsync(TestHostCluster.Timeout);
        Assert.All(written, w => Assert.True(w.IsOk, w.ToString()));

        cluster.Network.Heal();
        ProposeResult<ulong>[] results = await Task.WhenAll(stranded).WaitAsync(TestHostCluster.Timeout);

        Assert.All(results, r => Assert.Equal(RequestStatus.Unknown, r.Status));
        Assert.Equal(1, old.Counters.SnapshotsRestored);
        await cluster.WaitForAppliedAsync(written.Max(w => w.Index));
        await cluster.WaitForConvergenceAsync();
    }

    [Fact]
    public async Task Proposals_beyond_the_uncommitted_size_limit_are_dropped_with_the_reason()
    {
        await using var cluster = new TestHostCluster(3, options: id =>
        {
            RaftNodeOptions o = WithoutCheckQuorum(TestHostCluster.DefaultOptions(id, null));
            return o with { Raft = o.Raft with { MaxUncommittedEntriesSize = 64 } };
        });
        cluster.StartAll();
        RaftNode<ulong> leader = await cluster.WaitForLeaderAsync();
        cluster.Network.Isolate(leader.Id);
        var proposals = new Task<ProposeResult<ulong>>[6];
        for (int i = 0; i < proposals.Length; i++)
        {
            proposals[i] = leader.ProposeAsync(RecordingStateMachine.Payload((ulong)i + 1, size: 32)).AsTask();
        }
        await TestHostCluster.Eventually(() => leader.Counters.ProposalsAccepted + leader.Counters.ProposalsDropped == proposals.Length, "the proposals to reach the node");
        // Completions run on the thread pool, a moment after the node counted them.
        await TestHostCluster.Eventually(() => proposals.Count(p => p.IsCompleted) == leader.Counters.ProposalsDropped, "the drops to complete");
        ProposeResult<ulong>[] dropped = proposals.Where(p => p.IsCompleted).Select(p => p.Result).ToArray();

        // The first entries fit in the 64-byte budget; the rest cannot while nothing commits.
        Assert.InRange(dropped.Length, 4, 5);
        Assert.All(dropped, r => Assert.Equal((RequestStatus.Dropped, StepResult.ProposalDroppedUncommittedSizeLimit), (r.Status, r.DropReason)));
        var ex = Assert.Throws<RaftRequestException>(() => dropped[0].GetValueOrThrow());
        Assert.Equal(RequestStatus.Dropped, ex.Status);
        Assert.Equal(leader.Counters.ProposalsDropped, dropped.Length);
    }
}
