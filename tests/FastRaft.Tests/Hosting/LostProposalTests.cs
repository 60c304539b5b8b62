using FastRaft.Hosting;

namespace FastRaft.Tests.Hosting;

public class LostProposalTests
{
    [Fact]
    public async Task Proposals_of_a_deposed_leader_overwritten_by_the_new_leader_fail_as_lost()
    {
        await using var cluster = new TestHostCluster(3);
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
}
