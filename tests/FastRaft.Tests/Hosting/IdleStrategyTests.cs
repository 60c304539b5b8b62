using FastRaft.Hosting;
using FastRaft.Hosting.Idle;

namespace FastRaft.Tests.Hosting;

public class IdleStrategyTests
{
    [Fact]
    public async Task An_idle_node_with_the_parking_strategy_does_not_spin()
    {
        var park = new ParkingIdleStrategy();
        var sm = new RecordingStateMachine();
        await using RaftNode<ulong> node = await SingleNodeHost.StartAsync(sm, SingleNodeHost.Options(1, () => park, TimeSpan.FromMilliseconds(10)));
        Assert.True((await node.ProposeAsync(RecordingStateMachine.Payload(1)).AsTask().WaitAsync(TestHostCluster.Timeout)).IsOk);

        // Measured over 20 ticks (200 ms at 10 ms ticks) rather than a wall-clock delay, so a
        // slow test thread cannot stretch the window.
        long loops = node.Counters.LoopIterations;
        long parks = park.Parks;
        long ticks = node.Counters.Ticks;
        await TestHostCluster.Eventually(() => node.Counters.Ticks - ticks >= 20, "20 ticks");
        long idleLoops = node.Counters.LoopIterations - loops;
        long idleTicks = node.Counters.Ticks - ticks;

        // Per tick: the tick's cycle, 10 spinning and 2 yielding cycles, then one that parks until
        // the next tick: at most 16 per tick is 320 over 200 ms of ticks. A spinning thread would
        // run thousands of cycles per tick. (Bounded per tick, not per wall-clock window: a busy
        // machine may let more ticks pass before the test looks.)
        Assert.True(idleLoops <= idleTicks * 16, $"{idleLoops} loop iterations over {idleTicks} idle ticks");
        Assert.True(park.Parks > parks, "the node thread parked");
    }

    [Theory]
    [InlineData("spin")]
    [InlineData("yield")]
    [InlineData("park")]
    public async Task Every_strategy_runs_a_node_that_commits(string kind)
    {
        Func<IIdleStrategy> idle = kind switch
        {
            "spin" => static () => new BusySpinIdleStrategy(),
            "yield" => static () => new YieldingIdleStrategy(),
            _ => static () => new ParkingIdleStrategy(),
        };
        var sm = new RecordingStateMachine();
        await using RaftNode<ulong> node = await SingleNodeHost.StartAsync(sm, SingleNodeHost.Options(1, idle));
        var inFlight = new Task<ProposeResult<ulong>>[100];
        for (int i = 0; i < inFlight.Length; i++)
        {
            inFlight[i] = node.ProposeAsync(RecordingStateMachine.Payload((ulong)i + 1)).AsTask();
        }
        ProposeResult<ulong>[] results = await Task.WhenAll(inFlight).WaitAsync(TestHostCluster.Timeout);
        Assert.All(results, r => Assert.True(r.IsOk));
        // Results come back in log order with the state machine's running count.
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (ulong)i), results.Select(r => r.Value));
        await node.StopAsync().WaitAsync(TestHostCluster.Timeout);
    }

    [Fact]
    public async Task A_wake_before_idling_ends_the_park_at_once()
    {
        var park = new ParkingIdleStrategy(maxSpins: 0, maxYields: 0);
        park.BeginCycle();
        park.Wake();
        await Task.Run(() => park.Idle(0, TimeSpan.FromMinutes(5))).WaitAsync(TestHostCluster.Timeout);
        Assert.Equal(1, park.Parks);
    }

    [Fact]
    public async Task A_wake_from_another_thread_ends_a_park()
    {
        var park = new ParkingIdleStrategy(maxSpins: 0, maxYields: 0);
        park.BeginCycle();
        Task parked = Task.Run(() => park.Idle(0, TimeSpan.FromMinutes(5)));
        await TestHostCluster.Eventually(() => park.Parks == 1, "the thread to park");
        park.Wake();
        await parked.WaitAsync(TestHostCluster.Timeout);
    }

    [Fact]
    public void Work_resets_the_backoff_and_a_zero_deadline_never_parks()
    {
        var park = new ParkingIdleStrategy(maxSpins: 1, maxYields: 1);
        park.Idle(0, TimeSpan.Zero);
        park.Idle(0, TimeSpan.Zero);
        park.Idle(0, TimeSpan.Zero);
        Assert.Equal(0, park.Parks);
        park.Idle(1, TimeSpan.Zero);
        park.BeginCycle();
        park.Wake();
        park.Idle(0, TimeSpan.FromMinutes(5)); // spins (backoff restarted), does not park
        Assert.Equal(0, park.Parks);
    }
}
