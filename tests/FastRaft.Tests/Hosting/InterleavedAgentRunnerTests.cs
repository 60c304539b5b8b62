using FastRaft.Hosting.Agents;

namespace FastRaft.Tests.Hosting;

/// <summary>
/// A runner's interleaved agent (a host's transport hub) also runs in the middle of a pass that
/// has gone on for <see cref="CompositeAgentRunner.InterleaveInterval"/>, so with many busy agents
/// on one thread it is not held to one cycle per pass, and only once per pass when passes are
/// short; if it throws there it is reported.
/// </summary>
public class InterleavedAgentRunnerTests
{
    private const int Busy = 100;

    [Fact]
    public async Task In_a_pass_longer_than_the_interval_the_interleaved_agent_also_runs_in_the_middle_of_it()
    {
        // 100 agents that each take 30 µs: a pass lasts at least 3 ms, three intervals.
        (CountingAgent hub, CountingAgent[] others) = await RunAsync(100, spinMicroseconds: 30, passes: 100);
        long passes = others.Max(a => a.Cycles);
        Assert.True(hub.Cycles >= 2 * passes, $"hub {hub.Cycles} cycles over {passes} passes of at least 3 ms");
    }

    [Fact]
    public async Task In_short_passes_the_interleaved_agent_runs_only_in_its_place()
    {
        // 200 agents that take no time: a pass lasts microseconds, far below the interval.
        (CountingAgent hub, CountingAgent[] others) = await RunAsync(200, spinMicroseconds: 0, passes: 2_000);
        long passes = others.Max(a => a.Cycles);
        // Once per pass; a little more only where the thread was preempted mid-pass for an interval.
        Assert.True(hub.Cycles <= (passes * 3 / 2) + 1, $"hub {hub.Cycles} cycles over {passes} short passes");
        Assert.True(hub.Cycles >= passes - 1, $"hub {hub.Cycles} cycles over {passes} passes");
    }

    private static async Task<(CountingAgent Hub, CountingAgent[] Others)> RunAsync(int count, int spinMicroseconds, int passes)
    {
        using var runner = new CompositeAgentRunner("interleave");
        var hub = new CountingAgent(runner.WaitSource, "hub");
        runner.AddInterleaved(hub);
        var others = new CountingAgent[count];
        for (int i = 0; i < others.Length; i++)
        {
            others[i] = new CountingAgent(runner.WaitSource, $"busy-{i}") { SpinMicroseconds = spinMicroseconds };
            runner.Add(others[i]);
        }
        runner.Start();
        while (Volatile.Read(ref others[0].Cycles) < passes)
        {
            await Task.Delay(1);
        }
        runner.Stop();
        await runner.Completion;
        return (hub, others);
    }

    [Fact]
    public async Task An_interleaved_agent_that_throws_is_reported_and_the_others_carry_on()
    {
        using var runner = new CompositeAgentRunner("interleave-throws");
        var failures = new List<(IAgent Agent, Exception Error)>();
        runner.AgentFailed += (agent, ex) =>
        {
            lock (failures)
            {
                failures.Add((agent, ex));
            }
        };
        var hub = new CountingAgent(runner.WaitSource, "hub") { ThrowAtCycle = 3 };
        runner.AddInterleaved(hub);
        var others = new CountingAgent[Busy];
        for (int i = 0; i < others.Length; i++)
        {
            others[i] = new CountingAgent(runner.WaitSource, $"busy-{i}") { SpinMicroseconds = 30 };
            runner.Add(others[i]);
        }
        Assert.Throws<InvalidOperationException>(() => runner.AddInterleaved(new CountingAgent(runner.WaitSource, "second")));
        runner.Start();
        int before = 0;
        while (Volatile.Read(ref others[0].Cycles) < before + 100)
        {
            before = before == 0 ? Volatile.Read(ref others[0].Cycles) : before;
            await Task.Delay(1);
        }
        runner.Stop();
        await runner.Completion;

        lock (failures)
        {
            Assert.NotEmpty(failures);
            Assert.All(failures, f => Assert.Same(hub, f.Agent));
        }
        Assert.True(hub.Closed, "the failed agent was not closed");
        Assert.All(others, a => Assert.True(a.Cycles >= 100));
    }

    private sealed class CountingAgent(IWaitSource waitSource, string name) : IAgent
    {
        public int Cycles;
        public volatile bool Closed;

        /// <summary>Throws from this duty cycle on (0: never).</summary>
        public int ThrowAtCycle { get; init; }

        /// <summary>How long each duty cycle takes (spinning).</summary>
        public int SpinMicroseconds { get; init; }

        public string Name => name;

        public TimeProvider Time => TimeProvider.System;

        public IWaitSource WaitSource => waitSource;

        public long Deadline => long.MaxValue;

        public bool IsDone => false;

        public void OnStart()
        {
        }

        public int DoWork(long now)
        {
            int cycle = Interlocked.Increment(ref Cycles);
            if (SpinMicroseconds > 0)
            {
                long until = System.Diagnostics.Stopwatch.GetTimestamp() + (SpinMicroseconds * System.Diagnostics.Stopwatch.Frequency / 1_000_000);
                while (System.Diagnostics.Stopwatch.GetTimestamp() < until)
                {
                }
            }
            if (ThrowAtCycle > 0 && cycle >= ThrowAtCycle)
            {
                throw new InvalidOperationException("interleaved agent failed");
            }
            return 1;
        }

        public void OnClose() => Closed = true;
    }
}
