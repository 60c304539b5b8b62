using FastRaft.Hosting;

namespace FastRaft.Tests.Hosting.Quiescence;

/// <summary>
/// A quiescing node gives back its work buffers (the core's message arenas and unstable log
/// arrays, the request and inbox scratch) when it quiesces: then it allocates nothing while
/// quiet, and a wake grows them again and works as before.
/// </summary>
public class QuiescedBuffersTests
{
    [Fact]
    public async Task A_quiesced_group_holds_no_work_buffers_allocates_nothing_and_commits_after_waking()
    {
        using var c = new QuiescingCluster();
        RaftNodeAgent<ulong> leader = c.Elect();
        // Traffic first, so that every buffer has grown.
        var proposals = new List<ValueTask<ProposeResult<ulong>>>();
        for (int i = 0; i < 40; i++)
        {
            proposals.Add(leader.ProposeAsync(new byte[] { (byte)i, 1, 2, 3 }));
        }
        c.RunUntil(() => proposals.All(p => p.IsCompleted), "the first proposals completed");
        Assert.All(c.Agents, a => Assert.True(a.HoldsIdleBuffers));

        c.RunUntilQuiesced();

        Assert.All(c.Agents, a => Assert.False(a.HoldsIdleBuffers));
        Assert.Equal(0, AllocationCounter.Steady(() => c.Rounds(300)));
        Assert.True(c.AllQuiesced);

        ValueTask<ProposeResult<ulong>> late = leader.ProposeAsync(new byte[] { 9, 9, 9 });
        c.RunUntil(() => late.IsCompleted, "the proposal after the wake completed");
        ProposeResult<ulong> result = await late;
        Assert.Equal(RequestStatus.Ok, result.Status);
        c.RunUntil(() => c.StateMachines.All(sm => sm.Applied.Count > 0 && sm.Applied[^1].Index == result.Index), "the proposal after the wake applied everywhere");
        Assert.All(c.Agents, a => Assert.True(a.HoldsIdleBuffers));

        c.RunUntilQuiesced();
        Assert.All(c.Agents, a => Assert.False(a.HoldsIdleBuffers));
    }
}
