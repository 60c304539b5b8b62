using FastRaft.Hosting.Agents;

namespace FastRaft.Tests.Hosting.Quiescence;

/// <summary>
/// A <see cref="CompositeAgentRunner"/> asks a dormant agent (<see cref="IDormantAgent"/>) whether it
/// has work instead of running its duty cycle: a wake meant for one agent costs the idle ones a check.
/// </summary>
public class DormantAgentRunnerTests
{
    [Fact]
    public async Task Wakes_run_the_awake_agent_and_only_check_the_dormant_ones_until_one_has_work()
    {
        using var runner = new CompositeAgentRunner("dormancy");
        var dormant = new List<Probe>();
        for (int i = 0; i < 100; i++)
        {
            dormant.Add(new Probe(runner.WaitSource) { Dormant = true });
        }
        var awake = new Probe(runner.WaitSource);
        foreach (Probe p in dormant)
        {
            runner.Add(p);
        }
        runner.Add(awake);
        runner.Start();

        await WakeUntil(runner, () => Volatile.Read(ref awake.DutyCycles) >= 20, "duty cycles of the awake agent");

        Assert.All(dormant, p =>
        {
            Assert.Equal(0, Volatile.Read(ref p.DutyCycles));
            Assert.True(Volatile.Read(ref p.Checks) > 0);
        });

        Probe woken = dormant[42];
        woken.Dormant = false;
        await WakeUntil(runner, () => Volatile.Read(ref woken.DutyCycles) > 0, "a duty cycle of the agent that has work");
        Assert.Equal(0, dormant.Where(p => p != woken).Sum(p => Volatile.Read(ref p.DutyCycles)));
        runner.Stop();
        await runner.Completion;
    }

    [Fact]
    public async Task Without_wakes_a_dormant_agent_is_not_asked_again_until_its_deadline_which_it_gets_without_a_duty_cycle()
    {
        using var runner = new CompositeAgentRunner("deadline");
        var probe = new Probe(runner.WaitSource) { Dormant = true, DeadlineAfter = TimeSpan.FromMilliseconds(20), QuietDeadlines = 3 };
        runner.Add(probe);
        runner.Start();

        for (int i = 0; i < 10_000 && Volatile.Read(ref probe.QuietDeadlineCalls) < 3; i++)
        {
            await Task.Delay(1);
        }

        Assert.Equal(3, Volatile.Read(ref probe.QuietDeadlineCalls));
        Assert.Equal(0, Volatile.Read(ref probe.DutyCycles));
        // Asked once when added (and maybe once for the wake of its addition), not once per deadline.
        Assert.InRange(Volatile.Read(ref probe.Checks), 1, 2);
        runner.Stop();
        await runner.Completion;
    }

    [Fact]
    public void The_signal_counts_the_wakes_that_found_none_pending()
    {
        var signal = new SignalWaitSource();
        long start = signal.ConsumeWakes();

        signal.Wake();
        signal.Wake();
        Assert.Equal(start + 1, signal.ConsumeWakes());
        Assert.Equal(start + 1, signal.ConsumeWakes());
        signal.Wake();
        Assert.Equal(start + 2, signal.ConsumeWakes());
    }

    private static async Task WakeUntil(CompositeAgentRunner runner, Func<bool> condition, string what)
    {
        for (int i = 0; i < 10_000; i++)
        {
            if (condition())
            {
                return;
            }
            runner.WaitSource.Wake();
            await Task.Delay(1);
        }
        Assert.Fail($"no {what}");
    }

    /// <summary>Counts its duty cycles and dormancy checks; never done; no deadline (only wakes run it).</summary>
    private sealed class Probe(IWaitSource waitSource) : IAgent, IDormantAgent
    {
        public int DutyCycles;
        public int Checks;
        public int QuietDeadlineCalls;
        private volatile bool _dormant;
        private long _deadline = long.MaxValue;

        /// <summary>With a value: the probe's deadline is this far ahead, moved on at each quiet deadline until <see cref="QuietDeadlines"/> were taken.</summary>
        public TimeSpan? DeadlineAfter { get; init; }

        public int QuietDeadlines { get; init; }

        public bool Dormant
        {
            get => _dormant;
            set => _dormant = value;
        }

        public string Name => "probe";

        public TimeProvider Time => TimeProvider.System;

        public IWaitSource WaitSource => waitSource;

        public long Deadline => Volatile.Read(ref _deadline);

        public bool IsDone => false;

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
            return 0;
        }

        public bool IsDormant(long now)
        {
            Interlocked.Increment(ref Checks);
            return _dormant;
        }

        public bool InputWakesOnlyThroughWaitSource => false;

        public int OnQuietDeadline(long now)
        {
            int calls = Interlocked.Increment(ref QuietDeadlineCalls);
            Volatile.Write(ref _deadline, calls < QuietDeadlines && DeadlineAfter is { } after
                ? now + (long)(after.TotalSeconds * Time.TimestampFrequency)
                : long.MaxValue);
            return 0;
        }

        public void OnClose()
        {
        }
    }
}
