using FastRaft.Benchmarks.Workloads;

namespace FastRaft.Tests.Perf;

/// <summary>
/// The core benchmarks' single-voter workload (a RawNode alone, <see cref="SingleVoterWorkload"/>)
/// allocates nothing once warm. The unbatched 16-byte path is gated in Node/HotPathAllocationTests;
/// these cover batching and larger payloads. The agent workloads are gated in
/// <see cref="AgentClusterAllocationGateTests"/>.
/// </summary>
[Collection(AllocationGateCollection.Name)]
public class RawNodeAllocationGateTests
{
    // A stream holds more entries in flight when a compaction comes around than a driver that
    // waits for each batch, so its payload pools reach their steady size later (after about
    // five compactions of SingleVoterWorkload.CompactEvery entries).
    private const int StreamedWarmupEntries = 8 * (int)SingleVoterWorkload.CompactEvery;

    [Theory]
    [InlineData(1, 4096)]
    [InlineData(16, 16)]
    [InlineData(16, 256)]
    [InlineData(256, 16)]
    [InlineData(256, 4096)]
    public void Single_voter_batches_commit_without_allocating(int batch, int payload)
    {
        var w = new SingleVoterWorkload(payload);
        ulong start = w.Applied;

        long allocated = AllocationGate.MeasuredBytes(() => w.ProposeAndCommit(batch), batch, out ulong applied, out int calls);

        Assert.True(applied - start >= Entries(calls, batch));
        Assert.Equal(w.LastIndex, applied);
        Assert.Equal(applied - start, w.AppliedBytes / (ulong)payload);
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

    /// <summary>Entries committed at least by the warm-up and the measured calls (as many of each).</summary>
    private static ulong Entries(int measuredCalls, int batch) => 2UL * (ulong)measuredCalls * (ulong)batch;
}
