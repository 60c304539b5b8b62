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
        private volatile bool _dormant;

        public bool Dormant
        {
            get => _dormant;
            set => _dormant = value;
        }

        public string Name => "probe";

        public TimeProvider Time => TimeProvider.System;

        public IWaitSource WaitSource => waitSource;

        public long Deadline => long.MaxValue;

        public bool IsDone => false;

        public void OnStart()
        {
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

        public int OnQuietDeadline(long now) => DoWork(now);

        public void OnClose()
        {
        }
    }
}
