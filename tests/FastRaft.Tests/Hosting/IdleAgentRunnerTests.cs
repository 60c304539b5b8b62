using FastRaft.Hosting.Agents;
using FastRaft.Hosting.Idle;

namespace FastRaft.Tests.Hosting;

/// <summary>
/// A <see cref="CompositeAgentRunner"/> runs an agent that can tell it has nothing to do
/// (<see cref="IDormantAgent"/>) only when it may have work: after a duty cycle that did nothing,
/// it runs again when its deadline comes or when it says it has input after a wake, and input
/// given at any moment (even during a pass that already passed it over) is never left waiting.
/// </summary>
public partial class IdleAgentRunnerTests
{
    [Fact]
    public async Task Without_wakes_an_agent_whose_duty_cycle_did_nothing_is_neither_cycled_nor_asked_until_its_deadline()
    {
        using var runner = new CompositeAgentRunner("idle-until-deadline");
        // It never says it is dormant: only the runner's knowledge that nobody woke it skips it.
        var idle = new Probe(runner.WaitSource) { AlwaysAwake = true, DeadlineAfter = TimeSpan.FromMilliseconds(50) };
        var busy = new BusyAgent(runner.WaitSource, cycles: 2_000);
        runner.Add(idle);
        runner.Add(busy);
        runner.Start();

        await Eventually(() => Volatile.Read(ref idle.QuietDeadlineCalls) == 1 && Volatile.Read(ref busy.Cycles) > 2_000, "the busy passes and the idle agent's deadline");

        // One duty cycle (its first, which did nothing) and one question before it, over two thousand passes.
        Assert.Equal(1, Volatile.Read(ref idle.DutyCycles));
        Assert.Equal(1, Volatile.Read(ref idle.Checks));
        runner.Stop();
        await runner.Completion;
    }

    [Fact]
    public async Task An_agent_given_input_after_the_pass_went_by_it_runs_in_the_next_pass_though_that_one_found_no_other_work()
    {
        // Blocks as soon as a pass finds no work: a lost wake would leave the runner asleep for good.
        using var runner = new CompositeAgentRunner("mid-pass", new ParkingIdleStrategy(maxSpins: 0));
        var target = new Probe(runner.WaitSource);
        // Added first, so it runs after the target in each pass (the runner goes from the last added).
        var giver = new InputGiver(runner.WaitSource, target);
        runner.Add(giver);
        runner.Add(target);
        runner.Start();

        await Eventually(() => Volatile.Read(ref target.Taken) == 1, "the input given mid-pass to be taken");

        Assert.True(Volatile.Read(ref giver.Cycles) >= 1);
        // The target was found dormant before the input came, and was run once it had some.
        Assert.True(Volatile.Read(ref target.Checks) >= 1);
        Assert.Equal(1, Volatile.Read(ref target.DutyCycles));
        runner.Stop();
        await runner.Completion;
    }

    [Fact]
    public async Task Input_given_from_other_threads_at_any_moment_is_always_taken()
    {
        using var runner = new CompositeAgentRunner("any-moment", new ParkingIdleStrategy(maxSpins: 0));
        var targets = new Probe[4];
        for (int i = 0; i < targets.Length; i++)
        {
            targets[i] = new Probe(runner.WaitSource);
            runner.Add(targets[i]);
        }
        runner.Start();

        await GiveFromTwoThreadsAsync(targets);
        runner.Stop();
        await runner.Completion;
    }

    [Fact]
    public async Task An_idle_agent_that_throws_when_asked_is_closed_and_reported_while_the_others_carry_on()
    {
        using var runner = new CompositeAgentRunner("throws-when-asked");
        var failed = new TaskCompletionSource<(IAgent, Exception)>(TaskCreationOptions.RunContinuationsAsynchronously);
        runner.AgentFailed += (agent, ex) => failed.TrySetResult((agent, ex));
        var thrower = new Probe(runner.WaitSource) { ThrowWhenAskedAfterACycle = true };
        var other = new Probe(runner.WaitSource);
        runner.Add(thrower);
        runner.Add(other);
        thrower.Give();
        runner.Start();
        await Eventually(() => Volatile.Read(ref thrower.DutyCycles) == 1, "the thrower's duty cycle for its input");

        // The wake makes the runner ask the idle thrower, which throws.
        other.Give();
        (IAgent agent, Exception ex) = await failed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Same(thrower, agent);
        Assert.IsType<InvalidOperationException>(ex);
        Assert.True(thrower.Closed);
        await Eventually(() => runner.AgentCount == 1, "the thrower to leave");

        other.Give();
        await Eventually(() => Volatile.Read(ref other.Taken) == 2, "the other agent's input to be taken");
        runner.Stop();
        await runner.Completion;
    }

    [Fact]
    public async Task Passes_allocate_nothing_whether_agents_are_skipped_asked_or_run()
    {
        using var runner = new CompositeAgentRunner("allocation");
        var targets = new Probe[8];
        for (int i = 0; i < targets.Length; i++)
        {
            targets[i] = new Probe(runner.WaitSource);
            runner.Add(targets[i]);
        }
        await AssertPassesAllocateNothingAsync(runner, targets, seed: 1);
        runner.Stop();
        await runner.Completion;
    }

    /// <summary>20,000 inputs from each of two threads to random targets, now and then letting the runner block; all must be taken.</summary>
    private static async Task GiveFromTwoThreadsAsync(Probe[] targets)
    {
        const int PerProducer = 20_000;
        var producers = new Task[2];
        for (int p = 0; p < producers.Length; p++)
        {
            int seed = p;
            producers[p] = Task.Run(() =>
            {
                var random = new Random(seed);
                for (int i = 0; i < PerProducer; i++)
                {
                    targets[random.Next(targets.Length)].Give();
                    if (random.Next(8) == 0)
                    {
                        // Now and then let the runner go idle and block.
                        Thread.Sleep(0);
                    }
                }
            });
        }
        await Task.WhenAll(producers);
        await Eventually(() => targets.Sum(t => Volatile.Read(ref t.Taken)) == PerProducer * producers.Length, "every input to be taken");
    }

    /// <summary>
    /// Adds a busy meter to <paramref name="runner"/> (which already holds <paramref name="targets"/>),
    /// starts it and gives input meanwhile: the runner's thread allocates nothing over passes with
    /// and without wakes.
    /// </summary>
    private static async Task AssertPassesAllocateNothingAsync(CompositeAgentRunner runner, Probe[] targets, int seed)
    {
        var meter = new AllocationMeter(runner.WaitSource, from: 2_000, to: 22_000);
        runner.Add(meter);
        // Input before the start too: the busy meter may finish its cycles before the loop below
        // gets a turn, and the pass must still have had input to take.
        targets[0].Give();
        runner.Start();

        var random = new Random(seed);
        while (!meter.Measured.Task.IsCompleted)
        {
            targets[random.Next(targets.Length)].Give();
            await Task.Yield();
        }

        Assert.Equal(0, await meter.Measured.Task);
        Assert.True(targets.Sum(t => Volatile.Read(ref t.Taken)) > 0);
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        for (int i = 0; i < 10_000; i++)
        {
            if (condition())
            {
                return;
            }
            await Task.Delay(1);
        }
        Assert.Fail($"no {what}");
    }

    /// <summary>
    /// An idle agent that tells the truth: dormant unless input was given (or it never says so),
    /// a duty cycle takes the input and reports no work (so the runner counts it idle after).
    /// </summary>
    private sealed class Probe(IWaitSource waitSource) : IAgent, IDormantAgent
    {
        public int DutyCycles;
        public int Checks;
        public int QuietDeadlineCalls;
        public long Taken;
        private long _input;
        private long _deadline = long.MaxValue;

        /// <summary>Throws from <see cref="IsDormant"/> once it has run a duty cycle.</summary>
        public bool ThrowWhenAskedAfterACycle { get; init; }

        public volatile bool Closed;

        /// <summary>Never says it is dormant.</summary>
        public bool AlwaysAwake { get; init; }

        /// <summary>With a value: the first deadline is this far ahead; later ones never come.</summary>
        public TimeSpan? DeadlineAfter { get; init; }

        /// <summary>Whether its input wakes it only through its wait source (what lets a runner skip it by its mark).</summary>
        public bool InputWakesOnlyThroughWaitSource { get; init; }

        public string Name => "probe";

        public TimeProvider Time => TimeProvider.System;

        public IWaitSource WaitSource => waitSource;

        public long Deadline => Volatile.Read(ref _deadline);

        public bool IsDone => DoneAfterInput && Volatile.Read(ref Taken) > 0;

        /// <summary>Done (the runner closes it) once it has taken input.</summary>
        public bool DoneAfterInput { get; init; }

        /// <summary>Input from any thread: counted, then the runner is woken (as a producer does).</summary>
        public void Give()
        {
            Interlocked.Increment(ref _input);
            waitSource.Wake();
        }

        public void OnStart()
        {
            if (DeadlineAfter is { } after)
            {
                _deadline = Time.GetTimestamp() + (long)(after.TotalSeconds * Time.TimestampFrequency);
            }
        }

        public int DoWork(long now)
        {
            Interlocked.Increment(ref DutyCycles);
            Interlocked.Add(ref Taken, Interlocked.Exchange(ref _input, 0));
            return 0;
        }

        public bool IsDormant(long now)
        {
            Interlocked.Increment(ref Checks);
            if (ThrowWhenAskedAfterACycle && Volatile.Read(ref DutyCycles) > 0)
            {
                throw new InvalidOperationException("asked");
            }
            return !AlwaysAwake && Volatile.Read(ref _input) == 0 && now < Deadline;
        }

        public int OnQuietDeadline(long now)
        {
            Interlocked.Increment(ref QuietDeadlineCalls);
            Volatile.Write(ref _deadline, long.MaxValue);
            return 0;
        }

        public void OnClose() => Closed = true;
    }

    /// <summary>A plain agent (not dormant-capable) on the runner's signal, with no deadline: only its duty cycle differs.</summary>
    private abstract class PlainAgent(IWaitSource waitSource, string name) : IAgent
    {
        public string Name => name;

        public TimeProvider Time => TimeProvider.System;

        public IWaitSource WaitSource => waitSource;

        public long Deadline => long.MaxValue;

        public bool IsDone => false;

        public void OnStart()
        {
        }

        public abstract int DoWork(long now);

        public void OnClose()
        {
        }
    }

    /// <summary>Reports work for its first <c>cycles</c> duty cycles (so the runner passes again without any wake), then none.</summary>
    private sealed class BusyAgent(IWaitSource waitSource, int cycles) : PlainAgent(waitSource, "busy")
    {
        public int Cycles;

        public override int DoWork(long now) => Interlocked.Increment(ref Cycles) <= cycles ? 1 : 0;
    }

    /// <summary>Busy for <c>to</c> duty cycles; the bytes its thread allocated between cycles <c>from</c> and <c>to</c>.</summary>
    private sealed class AllocationMeter(IWaitSource waitSource, int from, int to) : PlainAgent(waitSource, "meter")
    {
        private int _cycles;
        private long _start;

        public TaskCompletionSource<long> Measured { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override int DoWork(long now)
        {
            int cycle = ++_cycles;
            if (cycle == from)
            {
                _start = GC.GetAllocatedBytesForCurrentThread();
            }
            else if (cycle == to)
            {
                Measured.TrySetResult(GC.GetAllocatedBytesForCurrentThread() - _start);
            }
            return cycle <= to ? 1 : 0;
        }
    }

    /// <summary>In its first duty cycle gives the target input and wakes the runner, reporting no work of its own.</summary>
    private sealed class InputGiver(IWaitSource waitSource, Probe target) : PlainAgent(waitSource, "giver")
    {
        public int Cycles;

        public override int DoWork(long now)
        {
            if (Interlocked.Increment(ref Cycles) == 1)
            {
                target.Give();
            }
            return 0;
        }
    }
}
