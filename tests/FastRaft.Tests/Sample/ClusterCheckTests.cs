using FastRaft.Sample.Client;
using FastRaft.Sample.Matching;
using FastRaft.Sample.Protocol;

namespace FastRaft.Tests.Sample;

public class ClusterCheckTests
{
    private static ReplicaState Replica(ulong node, ulong applied, byte hash, params ClientState[] clients) =>
        new(node, "follower", 1, 1, applied, applied, [hash, 1, 2, 3, 4, 5, 6, 7], default(EngineStatistics), 0, clients);

    private static readonly SessionOutcome[] Sessions = [new(10, 5, 5, false), new(11, 3, 3, true)];

    [Fact]
    public void Identical_replicas_with_every_acknowledged_command_applied_once_pass()
    {
        CheckResult r = ClusterCheck.Verify(
            [Replica(1, 50, 9, new(10, 5, 5), new(11, 3, 3)), Replica(2, 50, 9, new(10, 5, 5), new(11, 4, 4))], Sessions, 3);
        Assert.True(r.Passed, string.Join("; ", r.Problems));
        Assert.Equal((0L, 0L, 1), (r.Lost, r.Duplicated, r.Unresolved));
    }

    [Fact]
    public void A_missing_acknowledged_command_is_lost()
    {
        CheckResult r = ClusterCheck.Verify([Replica(1, 50, 9, new(10, 4, 4), new(11, 3, 3)), Replica(2, 50, 9, new(10, 5, 5), new(11, 3, 3))], Sessions, 3);
        Assert.False(r.Passed);
        Assert.Equal(1, r.Lost);
    }

    [Fact]
    public void A_command_applied_twice_is_duplicated()
    {
        CheckResult r = ClusterCheck.Verify([Replica(1, 50, 9, new(10, 6, 6), new(11, 5, 5)), Replica(2, 50, 9, new(10, 5, 5), new(11, 3, 3))], Sessions, 3);
        Assert.False(r.Passed);
        Assert.Equal(2, r.Duplicated);
    }

    [Fact]
    public void Different_hashes_or_positions_and_a_minority_fail()
    {
        Assert.False(ClusterCheck.Verify([Replica(1, 50, 9), Replica(2, 50, 8)], [], 3).IdenticalBooks);
        Assert.False(ClusterCheck.Verify([Replica(1, 50, 9), Replica(2, 51, 9)], [], 3).Passed);
        CheckResult minority = ClusterCheck.Verify([Replica(1, 50, 9)], [], 3);
        Assert.False(minority.Passed);
        Assert.Contains(minority.Problems, p => p.Contains("majority", StringComparison.Ordinal));
    }
}
