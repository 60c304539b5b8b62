using FastRaft.Benchmarks.Workloads;
using FastRaft.Core.Quorum;

namespace FastRaft.Tests.Perf;

/// <summary>
/// The quorum benchmarks' operations through the progress tracker allocate nothing for up to 11
/// voters, simple or joint (JointConfig alone is gated in Quorum/QuorumAllocationTests).
/// </summary>
[Collection(AllocationGateCollection.Name)]
public class QuorumAllocationGateTests
{
    public static TheoryData<int, bool> Sizes()
    {
        var data = new TheoryData<int, bool>();
        foreach (int n in new[] { 1, 3, 5, 7, 11 })
        {
            data.Add(n, false);
            data.Add(n, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Committed_index_after_an_acknowledgement_allocates_nothing(int voters, bool joint)
    {
        var w = new QuorumWorkload(voters, joint);

        long allocated = AllocationGate.MeasuredBytes(w.Acknowledge, 1, out ulong committed, out _);

        Assert.True(committed > 0, "acknowledgements must move the committed index");
        Assert.Equal(0, allocated);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Vote_tally_allocates_nothing(int voters, bool joint)
    {
        var w = new QuorumWorkload(voters, joint);
        VoteResult result = w.Tally();

        long allocated = AllocationGate.MeasuredBytes(() => (ulong)w.Tally(), 1, out ulong last, out _);

        Assert.Equal(result, (VoteResult)last);
        Assert.Equal(0, allocated);
    }
}
