using FastRaft.Hosting;

namespace FastRaft.Tests.Hosting;

/// <summary>
/// Three node agents driven by manual invokers over a faulty in-memory network, all on the test
/// thread and one fake clock: elections and commits are a function of the seed.
/// </summary>
public class ManualClusterTests
{
    /// <summary>What one run observed: each node's applied sequence, and each proposal's outcome.</summary>
    private sealed record Run(List<(ulong Index, ulong Term, ulong Id)>[] Applied, List<(ulong Id, RequestStatus Status, ulong Index)> Outcomes, ulong FirstLeader);

    private static Run Drive(int seed)
    {
        using var cluster = new ManualCluster(3, seed);
        ulong firstLeader = cluster.ElectLeader().Id;
        cluster.Network.LossProbability = 0.05;
        cluster.Network.DuplicateProbability = 0.05;
        cluster.Network.ReorderProbability = 0.1;

        var outcomes = new List<(ulong, RequestStatus, ulong)>();
        ulong next = 1;
        for (int window = 0; window < 20; window++)
        {
            RaftNodeAgent<ulong> leader = cluster.ElectLeader();
            var ids = new ulong[20];
            var pending = new ValueTask<ProposeResult<ulong>>[ids.Length];
            for (int i = 0; i < ids.Length; i++)
            {
                ids[i] = next++;
                pending[i] = leader.ProposeAsync(RecordingStateMachine.Payload(ids[i]));
            }
            cluster.RunUntil(() => pending.All(p => p.IsCompleted), "proposals completed");
            for (int i = 0; i < ids.Length; i++)
            {
                ProposeResult<ulong> r = pending[i].Result;
                outcomes.Add((ids[i], r.Status, r.Index));
            }
        }

        // Heal, and let a final write through the leader settle everything on every node.
        cluster.Network.ClearFaults();
        RaftNodeAgent<ulong> last = cluster.ElectLeader();
        ValueTask<ProposeResult<ulong>> marker = last.ProposeAsync(RecordingStateMachine.Payload(1_000_000));
        cluster.RunUntil(() => marker.IsCompleted, "the marker to complete");
        ulong markerIndex = marker.Result.Index;
        Assert.NotEqual(0UL, markerIndex);
        cluster.RunUntil(() => cluster.Agents.All(a => a.AppliedIndex >= markerIndex), "every node to apply the marker");
        Assert.True(cluster.Network.Counters.Lost > 0 && cluster.Network.Counters.Reordered > 0, cluster.Network.Counters.ToString());
        return new Run([.. cluster.StateMachines.Select(s => s.Applied.ToList())], outcomes, firstLeader);
    }

    [Fact]
    public void Three_agents_elect_and_commit_and_the_same_seed_gives_the_same_commit_sequence()
    {
        Run first = Drive(seed: 11);

        // Every node applied the same sequence, and every acknowledged proposal is in it, once,
        // at the index it was acknowledged with.
        Assert.Equal(first.Applied[0], first.Applied[1]);
        Assert.Equal(first.Applied[0], first.Applied[2]);
        var byIndex = first.Applied[0].ToDictionary(e => e.Index, e => e.Id);
        List<(ulong Id, RequestStatus Status, ulong Index)> acked = first.Outcomes.Where(o => o.Status == RequestStatus.Ok).ToList();
        Assert.True(acked.Count > 300, $"only {acked.Count} of {first.Outcomes.Count} acknowledged");
        Assert.All(acked, o => Assert.Equal(o.Id, byIndex[o.Index]));
        Assert.Equal(first.Applied[0].Count(e => e.Id != 0), first.Applied[0].Where(e => e.Id != 0).Select(e => e.Id).Distinct().Count());

        Run again = Drive(seed: 11);
        Assert.Equal(first.FirstLeader, again.FirstLeader);
        Assert.Equal(first.Outcomes, again.Outcomes);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(first.Applied[i], again.Applied[i]);
        }
    }
}
