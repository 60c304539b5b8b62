using FastRaft.Benchmarks.Workloads;
using FastRaft.Tests.Perf;

namespace FastRaft.Tests.Hosting;

/// <summary>
/// Allocation gates for the agent's duty cycle, driven by manual invokers on the test thread
/// (<see cref="AgentClusterWorkload"/>), so everything a proposal costs (request, duty cycles,
/// transport, storage, apply, completion) is allocated on this thread and counted exactly: 0 B
/// over 10,000 proposals, each committed and applied on every node before the next, measured
/// between two of the snapshots that keep the storage bounded (<see cref="AgentAllocationWindow"/>).
/// Here with <c>RunContinuationsInline</c>; the same without it is gated in Node/HotPathAllocationTests,
/// and the benchmarks' shapes (batches, streams, the closed loop) in Perf/AgentClusterAllocationGateTests.
/// </summary>
[Collection(AllocationGateCollection.Name)]
public class AgentAllocationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void A_proposal_completed_inline_on_the_node_thread_allocates_nothing(int voters)
    {
        using var w = new AgentClusterWorkload(voters, 16, continuationsInline: true);

        long allocated = AgentAllocationWindow.MeasuredBytes(w, () => w.ProposeUntilQuiet(1), 1);

        Assert.Equal(0, allocated);
        Assert.Equal(w.Proposed, w.Completed);
        Assert.True(w.Leader.IsLeader);
        for (int i = 0; i < voters; i++)
        {
            Assert.Equal(w.LastCompletedIndex, w.AppliedIndex(i));
        }
    }
}
