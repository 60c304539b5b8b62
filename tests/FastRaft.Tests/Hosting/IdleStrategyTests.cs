using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
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

        // Per tick: the tick's cycle, 8 spinning cycles, then one that blocks until the next tick
        // (plus the odd early return): at most 16 per tick. A spinning thread would run thousands
        // of cycles per tick. (Bounded per tick, not per wall-clock window: a busy machine may let
        // more ticks pass before the test looks.)
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
    public void Work_resets_the_backoff_and_only_an_idle_cycle_past_the_spins_with_time_left_blocks()
    {
        var park = new ParkingIdleStrategy(maxSpins: 2, maxYields: 1);
        var source = new CountingWaitSource();
        park.Idle(0, source, TimeSpan.FromMinutes(5)); // spins
        park.Idle(0, source, TimeSpan.FromMinutes(5)); // spins
        park.Idle(0, source, TimeSpan.FromMinutes(5)); // yields
        Assert.Equal(0, source.Waits);
        park.Idle(0, source, TimeSpan.Zero); // nothing left to wait for: returns
        Assert.Equal(0, source.Waits);
        park.Idle(0, source, TimeSpan.FromMinutes(5));
        Assert.Equal(1, source.Waits);
        Assert.Equal(TimeSpan.FromMinutes(5), source.LastTimeout);
        Assert.Equal(1, park.Parks);

        park.Idle(3, source, TimeSpan.Zero); // work: the backoff starts over
        park.Idle(0, source, TimeSpan.FromMinutes(5));
        Assert.Equal(1, source.Waits);
    }

    [Fact]
    public void The_spinning_strategies_never_block_on_the_wait_source()
    {
        var source = new CountingWaitSource();
        for (int i = 0; i < 100; i++)
        {
            new BusySpinIdleStrategy().Idle(0, source, TimeSpan.FromMinutes(5));
            new YieldingIdleStrategy().Idle(0, source, TimeSpan.FromMinutes(5));
        }
        Assert.Equal(0, source.Waits);
    }

    [Fact]
    public async Task A_wake_before_waiting_ends_the_wait_at_once_without_blocking()
    {
        var signal = new SignalWaitSource();
        signal.Wake();
        await Task.Run(() => signal.Wait(TimeSpan.FromMinutes(5))).WaitAsync(TestHostCluster.Timeout);
        Assert.Equal(0, signal.Blocks);
        Assert.Equal(0, signal.Signals);
    }

    [Fact]
    public async Task A_wake_from_another_thread_ends_a_blocked_wait()
    {
        var signal = new SignalWaitSource();
        Task waiting = Task.Run(() => signal.Wait(TimeSpan.FromMinutes(5)));
        await TestHostCluster.Eventually(() => signal.Blocks == 1, "the waiter to block");
        signal.Wake();
        await waiting.WaitAsync(TestHostCluster.Timeout);
        Assert.Equal(1, signal.Signals);
    }

    [Fact]
    public void Wakes_while_the_waiter_runs_signal_nothing_and_one_wait_consumes_them()
    {
        var signal = new SignalWaitSource();
        for (int i = 0; i < 1000; i++)
        {
            signal.Wake();
        }
        signal.Wait(TimeSpan.FromMinutes(5)); // returns at once: a wake is pending
        Assert.Equal(0, signal.Signals);
        Assert.Equal(0, signal.Blocks);

        // Consumed: the next wait blocks until it times out.
        signal.Wait(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, signal.Blocks);
        Assert.Equal(0, signal.Signals);
    }

    [Fact]
    public async Task Many_wakers_never_lose_a_wake()
    {
        // Each round: the waiter blocks (or finds a wake pending) and must come back for every
        // wake that a producer made after the waiter last returned.
        var signal = new SignalWaitSource();
        int produced = 0;
        int seen = 0;
        Task waiter = Task.Run(() =>
        {
            while (Volatile.Read(ref seen) < 20_000)
            {
                if (Volatile.Read(ref produced) > Volatile.Read(ref seen))
                {
                    Volatile.Write(ref seen, Volatile.Read(ref produced));
                    continue;
                }
                // Without the wake, this would block for a minute and time the test out.
                signal.Wait(TimeSpan.FromMinutes(1));
            }
        });
        Task[] producers = new Task[2];
        for (int p = 0; p < producers.Length; p++)
        {
            producers[p] = Task.Run(() =>
            {
                while (Volatile.Read(ref produced) < 20_000)
                {
                    Interlocked.Increment(ref produced);
                    signal.Wake();
                    Thread.SpinWait(50);
                }
            });
        }
        await Task.WhenAll(producers).WaitAsync(TestHostCluster.Timeout);
        await waiter.WaitAsync(TestHostCluster.Timeout);
    }

    private sealed class CountingWaitSource : IWaitSource
    {
        public int Waits { get; private set; }

        public TimeSpan LastTimeout { get; private set; }

        public void Wait(TimeSpan timeout)
        {
            Waits++;
            LastTimeout = timeout;
        }

        public void Wake()
        {
        }
    }
}
