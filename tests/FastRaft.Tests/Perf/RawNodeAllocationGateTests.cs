using FastRaft.Benchmarks.Workloads;

namespace FastRaft.Tests.Perf;

/// <summary>
/// The RawNode benchmarks' workloads allocate nothing once warm. The unbatched 16-byte paths are
/// gated in Node/HotPathAllocationTests; these cover batching and larger payloads.
/// </summary>
[Collection(AllocationGateCollection.Name)]
public class RawNodeAllocationGateTests
{
    // A stream holds more entries in flight when a compaction comes around than a driver that
    // waits for each batch, so its payload pools reach their steady size later (after about
    // five compactions of BenchNode.CompactEvery entries).
    private const int StreamedWarmupEntries = 8 * (int)BenchNode.CompactEvery;

    [Theory]
    [InlineData(1, 4096)]
    [InlineData(16, 16)]
    [InlineData(16, 256)]
    [InlineData(256, 16)]
    [InlineData(256, 4096)]
    public void Single_voter_batches_commit_without_allocating(int batch, int payload)
    {
        var w = new SingleVoterWorkload(payload);
        ulong start = w.Node.Applied;

        long allocated = AllocationGate.MeasuredBytes(() => w.ProposeAndCommit(batch), batch, out ulong applied, out int calls);

        Assert.True(applied - start >= Entries(calls, batch));
        Assert.Equal(w.LastIndex, applied);
        Assert.Equal(applied - start, w.Node.AppliedBytes / (ulong)payload);
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(256)]
    public void Three_voters_propose_each_in_batches_without_allocating(int batch)
    {
        var w = new ThreeVoterWorkload(16);
        ulong start = w.Leader.Applied;

        long allocated = AllocationGate.MeasuredBytes(() => w.ProposeEach(batch), batch, out ulong applied, out int calls);

        Assert.True(applied - start >= Entries(calls, batch));
        AssertAllApplied(w, w.Leader.Node.LastIndex, applied);
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(256)]
    public void Three_voters_batched_as_one_proposal_message_without_allocating(int batch)
    {
        var w = new ThreeVoterWorkload(16);
        ulong start = w.Leader.Applied;

        long allocated = AllocationGate.MeasuredBytes(() => w.ProposeAsOneMessage(batch), batch, out ulong applied, out int calls);

        Assert.True(applied - start >= Entries(calls, batch));
        AssertAllApplied(w, w.Leader.Node.LastIndex, applied);
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData(1, 16)]
    [InlineData(16, 16)]
    [InlineData(256, 16)]
    [InlineData(256, 4096)] // a batch larger than what one Ready may apply (MaxCommittedSizePerReady)
    public void Single_voter_streamed_commits_without_allocating(int batch, int payload)
    {
        var w = new SingleVoterWorkload(payload);

        long allocated = AllocationGate.MeasuredBytes(() => w.ProposeStreamed(batch), batch, out ulong applied, out _, StreamedWarmupEntries);

        // Each Ready commits the batch before the one it persists: one batch behind at most.
        Assert.InRange(w.LastIndex - applied, 0UL, (ulong)batch);
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(16, false)]
    [InlineData(256, false)]
    [InlineData(16, true)]
    [InlineData(256, true)]
    public void Three_voters_streamed_commit_without_allocating(int batch, bool asOneMessage)
    {
        var w = new ThreeVoterWorkload(16);
        Func<ulong> operation = asOneMessage ? () => w.ProposeAsOneMessageStreamed(batch) : () => w.ProposeEachStreamed(batch);

        long allocated = AllocationGate.MeasuredBytes(operation, batch, out ulong applied, out _, StreamedWarmupEntries);

        // The stream keeps up: every node is at most a batch behind the leader's log.
        ulong last = w.Leader.Node.LastIndex;
        Assert.InRange(last - applied, 0UL, (ulong)batch);
        foreach (BenchNode n in w.Nodes)
        {
            Assert.InRange(last - n.Applied, 0UL, (ulong)batch);
        }
        Assert.Equal(0, allocated);
    }

    /// <summary>Entries committed at least by the warm-up and the measured calls (as many of each).</summary>
    private static ulong Entries(int measuredCalls, int batch) => 2UL * (ulong)measuredCalls * (ulong)batch;

    private static void AssertAllApplied(ThreeVoterWorkload w, ulong expected, ulong leaderApplied)
    {
        Assert.Equal(expected, leaderApplied);
        foreach (BenchNode n in w.Nodes)
        {
            Assert.Equal(expected, n.Applied);
        }
    }
}
