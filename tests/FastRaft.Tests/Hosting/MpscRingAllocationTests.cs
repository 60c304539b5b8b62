using FastRaft.Hosting;

namespace FastRaft.Tests.Hosting;

/// <summary>The node's inboxes allocate nothing once their arrays have grown to the load.</summary>
[Collection(Perf.AllocationGateCollection.Name)]
public class MpscRingAllocationTests
{
    [Fact]
    public void Steady_enqueue_and_drain_allocate_nothing()
    {
        var ring = new MpscRing<string>(4, 1024);
        string item = "x";
        var scratch = new string[64];
        long accepted = 0, drained = 0;

        void Cycle(int n)
        {
            for (int k = 0; k < n; k++)
            {
                for (int i = 0; i < 100; i++)
                {
                    accepted += ring.TryEnqueue(item) == EnqueueResult.Ok ? 1 : 0;
                }
                int got;
                while ((got = ring.Drain(scratch)) > 0)
                {
                    drained += got;
                }
            }
        }

        Cycle(100);
        Assert.Equal(128, ring.ArrayLength);
        Assert.Equal(0, AllocationCounter.Steady(() => Cycle(1000)));
        Assert.Equal(accepted, drained);
        Assert.True(accepted >= 110_000, $"only {accepted} items went through");
    }
}
