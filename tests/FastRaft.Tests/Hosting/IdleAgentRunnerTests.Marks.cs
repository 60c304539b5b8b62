using FastRaft.Hosting.Agents;
using FastRaft.Hosting.Idle;

namespace FastRaft.Tests.Hosting;

/// <summary>
/// Input marks: an idle agent whose input all comes through a marked wait source of its runner
/// is not even asked when the runner is woken for another agent, and input given to it at any
/// moment is still taken.
/// </summary>
public partial class IdleAgentRunnerTests
{
    [Fact]
    public async Task A_wake_for_one_marked_agent_does_not_make_the_runner_ask_the_other_idle_marked_agents()
    {
        using var runner = new CompositeAgentRunner("marks-skip", new ParkingIdleStrategy(maxSpins: 0));
        Probe[] idle = MarkedProbes(runner, 50);
        var target = new Probe(runner.CreateMarkedWaitSource(runner.WaitSource)) { InputWakesOnlyThroughWaitSource = true };
        // Not marked-capable, on a marked source: asked on every wake as before.
        var unmarked = new Probe(runner.CreateMarkedWaitSource(runner.WaitSource));
        foreach (Probe p in idle)
        {
            runner.Add(p);
        }
        runner.Add(target);
        runner.Add(unmarked);
        runner.Start();
        // A new agent is asked before its first duty cycle; these say they are dormant, so none runs.
        await Eventually(() => idle.All(p => Volatile.Read(ref p.Checks) >= 1) && Volatile.Read(ref target.Checks) >= 1 && Volatile.Read(ref unmarked.Checks) >= 1, "every agent to be asked once");
        int[] checksBefore = idle.Select(p => Volatile.Read(ref p.Checks)).ToArray();
        int unmarkedChecksBefore = Volatile.Read(ref unmarked.Checks);

        const int Inputs = 200;
        for (int i = 1; i <= Inputs; i++)
        {
            target.Give();
            await Eventually(() => Volatile.Read(ref target.Taken) == i, $"input {i} to be taken");
        }

        Assert.Equal(checksBefore, idle.Select(p => Volatile.Read(ref p.Checks)).ToArray());
        Assert.All(idle, p => Assert.Equal(0, Volatile.Read(ref p.DutyCycles)));
        Assert.Equal(Inputs, Volatile.Read(ref target.DutyCycles));
        // The unmarked one was asked at least once per wake that found it idle.
        Assert.True(Volatile.Read(ref unmarked.Checks) - unmarkedChecksBefore >= Inputs / 2, $"unmarked agent asked {Volatile.Read(ref unmarked.Checks) - unmarkedChecksBefore} times");
        runner.Stop();
        await runner.Completion;
    }

    [Fact]
    public async Task A_marked_agent_given_input_after_the_pass_went_by_it_runs_in_the_next_pass()
    {
        using var runner = new CompositeAgentRunner("marks-mid-pass", new ParkingIdleStrategy(maxSpins: 0));
        var target = new Probe(runner.CreateMarkedWaitSource(runner.WaitSource)) { InputWakesOnlyThroughWaitSource = true };
        var giver = new InputGiver(runner.WaitSource, target);
        runner.Add(giver);
        runner.Add(target);
        runner.Start();

        await Eventually(() => Volatile.Read(ref target.Taken) == 1, "the input given mid-pass to be taken");
        Assert.Equal(1, Volatile.Read(ref target.DutyCycles));
        runner.Stop();
        await runner.Completion;
    }

    [Fact]
    public async Task Input_given_to_marked_agents_from_other_threads_at_any_moment_is_always_taken()
    {
        using var runner = new CompositeAgentRunner("marks-any-moment", new ParkingIdleStrategy(maxSpins: 0));
        Probe[] targets = MarkedProbes(runner, 6);
        foreach (Probe p in targets)
        {
            runner.Add(p);
        }
        runner.Start();

        await GiveFromTwoThreadsAsync(targets);
        runner.Stop();
        await runner.Completion;
    }

    [Fact]
    public async Task Marks_of_agents_that_left_are_reused_and_a_stale_wake_only_costs_a_question()
    {
        using var runner = new CompositeAgentRunner("marks-reuse", new ParkingIdleStrategy(maxSpins: 0));
        IWaitSource first = runner.CreateMarkedWaitSource(runner.WaitSource);
        var leaving = new Probe(first) { InputWakesOnlyThroughWaitSource = true, DoneAfterInput = true };
        runner.Add(leaving);
        runner.Start();
        leaving.Give();
        await Eventually(() => leaving.Closed && runner.AgentCount == 0, "the agent to leave");
        Assert.Equal(0, runner.MarksInUse);

        var next = new Probe(runner.CreateMarkedWaitSource(runner.WaitSource)) { InputWakesOnlyThroughWaitSource = true };
        Assert.Equal(1, runner.MarksInUse);
        runner.Add(next);
        await Eventually(() => Volatile.Read(ref next.Checks) >= 1, "the new agent to be asked");
        // A late wake through the departed agent's source: at most a question to whoever holds the mark now.
        first.Wake();
        next.Give();
        await Eventually(() => Volatile.Read(ref next.Taken) == 1, "the new agent's input");
        runner.Stop();
        await runner.Completion;
    }

    [Fact]
    public async Task Passes_over_marked_agents_allocate_nothing()
    {
        using var runner = new CompositeAgentRunner("marks-allocation");
        Probe[] targets = MarkedProbes(runner, 8);
        foreach (Probe p in targets)
        {
            runner.Add(p);
        }
        await AssertPassesAllocateNothingAsync(runner, targets, seed: 2);
        runner.Stop();
        await runner.Completion;
    }

    private static Probe[] MarkedProbes(CompositeAgentRunner runner, int count)
    {
        var probes = new Probe[count];
        for (int i = 0; i < count; i++)
        {
            probes[i] = new Probe(runner.CreateMarkedWaitSource(runner.WaitSource)) { InputWakesOnlyThroughWaitSource = true };
        }
        return probes;
    }
}
