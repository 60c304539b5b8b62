using FastRaft.Hosting;

namespace FastRaft.Tests.Hosting;

public class FaultyNetworkTests
{
    [Fact]
    public async Task With_loss_duplication_and_reordering_everything_acknowledged_is_applied_everywhere()
    {
        await using var cluster = new TestHostCluster(3, seed: 42);
        cluster.StartAll();
        await cluster.WaitForLeaderAsync();
        cluster.Network.LossProbability = 0.05;
        cluster.Network.DuplicateProbability = 0.05;
        cluster.Network.ReorderProbability = 0.1;

        // Windows of concurrent proposals to whoever leads; failures are simply not acknowledged.
        var acked = new List<ulong>();
        var failed = 0;
        ulong next = 1;
        for (int window = 0; window < 10; window++)
        {
            RaftNode<ulong> leader = await cluster.WaitForLeaderAsync();
            var ids = new ulong[200];
            var inFlight = new Task<ProposeResult<ulong>>[ids.Length];
            for (int i = 0; i < ids.Length; i++)
            {
                ids[i] = next++;
                inFlight[i] = leader.ProposeAsync(RecordingStateMachine.Payload(ids[i])).AsTask();
            }
            ProposeResult<ulong>[] results = await Task.WhenAll(inFlight).WaitAsync(TestHostCluster.Timeout);
            for (int i = 0; i < ids.Length; i++)
            {
                if (results[i].IsOk)
                {
                    acked.Add(ids[i]);
                }
                else
                {
                    failed++;
                }
            }
        }

        InMemoryNetworkCountersAssert.SawFaults(cluster.Network.Counters);
        Assert.True(acked.Count > 1000, $"only {acked.Count} acknowledged ({failed} failed)");

        cluster.Network.ClearFaults();
        RaftNode<ulong> last = await cluster.WaitForLeaderAsync();
        // A final write through the leader makes sure every earlier entry is committed and applied.
        ProposeResult<ulong> marker = await last.ProposeAsync(RecordingStateMachine.Payload(1_000_000)).AsTask().WaitAsync(TestHostCluster.Timeout);
        Assert.True(marker.IsOk, marker.ToString());
        await cluster.WaitForAppliedAsync(marker.Index);
        await cluster.WaitForConvergenceAsync();
        foreach (RecordingStateMachine sm in cluster.StateMachines.Values)
        {
            Assert.True(acked.All(sm.Contains));
        }
    }
}

internal static class InMemoryNetworkCountersAssert
{
    public static void SawFaults(FastRaft.Hosting.InMemory.InMemoryNetworkCounters c)
    {
        Assert.True(c.Lost > 0, c.ToString());
        Assert.True(c.Duplicated > 0, c.ToString());
        Assert.True(c.Reordered > 0, c.ToString());
    }
}
