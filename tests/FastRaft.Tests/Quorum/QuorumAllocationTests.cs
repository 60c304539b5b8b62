using FastRaft.Core.Quorum;

namespace FastRaft.Tests.Quorum;

[Collection(Perf.AllocationGateCollection.Name)]
public class QuorumAllocationTests
{
    [Fact]
    public void CommittedIndexAllocatesNothing()
    {
        foreach (int n in new[] { 1, 3, 5, 7, 11 })
        {
            // A joint config with overlapping halves exercises both majority computations.
            MajorityConfig inc = MajorityConfigTests.Voters(n);
            var outg = new MajorityConfig();
            for (ulong id = 1; id <= (ulong)n; id += 2)
            {
                outg.Add(id);
            }
            var joint = new JointConfig(inc, outg);
            var acked = new ulong[n];
            var l = new ArrayAckIndexer(acked);

            ulong sink = Run(joint, l, acked, 1_000);
            long allocated = AllocationCounter.Steady(() => sink += Run(joint, l, acked, 10_000));

            Assert.True(sink > 0);
            Assert.Equal(0, allocated);
        }
    }

    private static ulong Run(JointConfig joint, ArrayAckIndexer l, ulong[] acked, int iterations)
    {
        ulong sink = 0;
        for (int i = 0; i < iterations; i++)
        {
            acked[i % acked.Length] = (ulong)i + 1;
            sink += joint.CommittedIndex(l);
        }
        return sink;
    }
}
