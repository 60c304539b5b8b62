using FastRaft.Benchmarks.Workloads;

namespace FastRaft.Tests.Perf;

/// <summary>
/// The agent benchmarks' workloads (<see cref="AgentClusterWorkload"/>: agents over the in-memory
/// transport on manual invokers, proposals through ProposeAsync) allocate nothing per entry once
/// warm, measured exactly between two snapshots (<see cref="AgentAllocationWindow"/>).
/// </summary>
[Collection(AllocationGateCollection.Name)]
public class AgentClusterAllocationGateTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 16)]
    [InlineData(3, 1)]
    [InlineData(3, 16)]
    [InlineData(3, 256)]
    public void Proposals_until_quiet_allocate_nothing(int voters, int batch)
    {
        using var w = new AgentClusterWorkload(voters, 16);

        long allocated = AgentAllocationWindow.MeasuredBytes(w, () => w.ProposeUntilQuiet(batch), batch);

        AssertAllApplied(w);
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 256)]
    [InlineData(3, 1)]
    [InlineData(3, 16)]
    [InlineData(3, 256)]
    public void Streamed_proposals_allocate_nothing(int voters, int batch)
    {
        using var w = new AgentClusterWorkload(voters, 16);

        long allocated = AgentAllocationWindow.MeasuredBytes(w, () => w.ProposeStreamed(batch), batch);

        // The stream keeps up: at most a batch pending, every node at most a batch behind the leader's log.
        Assert.InRange(w.Pending, 0, batch);
        ulong last = w.LastCompletedIndex + (ulong)w.Pending;
        for (int i = 0; i < w.Voters; i++)
        {
            Assert.InRange(last - w.AppliedIndex(i), 0UL, (ulong)batch);
        }
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void The_closed_loop_with_continuations_inline_allocates_nothing()
    {
        using var w = new AgentClusterWorkload(3, 16, continuationsInline: true);
        const int PerCall = 256;

        long allocated = AgentAllocationWindow.MeasuredBytes(w, () => w.ProposeClosedLoop(PerCall), PerCall);

        Assert.Equal(0, allocated);
        Assert.Equal(0, w.Pending);
        Assert.Equal(w.Proposed, w.Completed);
        // Each proposal leaves in the cycle that applied the one before: one pass (a duty cycle
        // of each agent) per entry, and one to start.
        long passes = w.Passes;
        w.ProposeClosedLoop(PerCall);
        Assert.InRange(w.Passes - passes, PerCall, PerCall + 1);
    }

    /// <summary>Every proposal completed, in order, and every node applied exactly what the leader did.</summary>
    private static void AssertAllApplied(AgentClusterWorkload w)
    {
        Assert.Equal(0, w.Pending);
        Assert.Equal(w.Proposed, w.Completed);
        Assert.Equal(w.LastCompletedIndex, w.Leader.AppliedIndex);
        for (int i = 0; i < w.Voters; i++)
        {
            Assert.Equal(w.LastCompletedIndex, w.AppliedIndex(i));
            Assert.Equal(w.Completed * 16, w.AppliedBytes(i));
        }
    }
}
