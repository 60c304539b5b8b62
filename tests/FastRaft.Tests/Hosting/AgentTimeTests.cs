using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.InMemory;
using FastRaft.Storage;
using Microsoft.Extensions.Time.Testing;

namespace FastRaft.Tests.Hosting;

/// <summary>
/// A node agent has no clock of its own: its ticks follow the time its runner passes in, from its
/// <see cref="TimeProvider"/>, here a <see cref="FakeTimeProvider"/> set years away from the real
/// time and moved only by the test.
/// </summary>
public class AgentTimeTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Resolution = TimeSpan.FromTicks(1);

    private static (RaftNodeAgent<ulong> Agent, ManualAgentInvoker Invoker, FakeTimeProvider Time) SingleVoter(TimeSpan? tick = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(1999, 12, 31, 23, 0, 0, TimeSpan.Zero));
        var options = new RaftNodeOptions
        {
            Raft = new RaftConfig { Id = 1, ElectionTick = 10, HeartbeatTick = 1, Random = new Random(3) },
            TickInterval = tick ?? Interval,
            Time = time,
            InitialMembers = [1],
        };
        var agent = new RaftNodeAgent<ulong>(options, new MemoryStorage(), new InMemoryNetwork().CreateTransport(1), new RecordingStateMachine());
        return (agent, new ManualAgentInvoker(agent), time);
    }

    /// <summary>The result of a request that has completed (the invoker ran it on this thread).</summary>
    internal static T ResultOf<T>(ValueTask<T> completed)
    {
        Assert.True(completed.IsCompleted);
        return completed.Result;
    }

    [Fact]
    public void Ticks_happen_exactly_when_the_clock_passes_the_interval_and_keep_their_phase()
    {
        (RaftNodeAgent<ulong> agent, ManualAgentInvoker invoker, FakeTimeProvider time) = SingleVoter();
        using (invoker)
        {
            long start = time.GetTimestamp();
            long interval = Interval.Ticks; // the fake clock counts 100 ns ticks
            invoker.Invoke();
            Assert.Equal(0, agent.Counters.Ticks);
            Assert.Equal(start + interval, agent.Deadline);

            time.Advance(Interval - Resolution);
            invoker.Invoke();
            Assert.Equal(0, agent.Counters.Ticks);
            time.Advance(Resolution);
            invoker.Invoke();
            Assert.Equal(1, agent.Counters.Ticks);
            invoker.Invoke(); // no time passed: no second tick
            Assert.Equal(1, agent.Counters.Ticks);
            Assert.Equal(start + (2 * interval), agent.Deadline);

            // Late by 3.5 intervals: one tick (the missed ones are dropped, as Go's ticker does)
            // and the next one interval after now.
            time.Advance((3 * Interval) + (Interval / 2) + Interval);
            invoker.Invoke();
            Assert.Equal(2, agent.Counters.Ticks);
            long now = time.GetTimestamp();
            Assert.Equal(now + interval, agent.Deadline);

            // Late by less than an interval: one tick, and the phase is kept.
            time.Advance(Interval + (Interval / 4));
            invoker.Invoke();
            Assert.Equal(3, agent.Counters.Ticks);
            Assert.Equal(now + (2 * interval), agent.Deadline);
        }
    }

    [Fact]
    public void The_agent_reads_no_clock_but_the_time_it_is_given()
    {
        (RaftNodeAgent<ulong> agent, ManualAgentInvoker invoker, FakeTimeProvider time) = SingleVoter(TimeSpan.FromMilliseconds(1));
        using (invoker)
        {
            // Real time passes (many tick intervals of it) while the given clock stands still: no tick.
            for (int i = 0; i < 20; i++)
            {
                invoker.Invoke();
                Thread.Sleep(5);
            }
            Assert.Equal(0, agent.Counters.Ticks);
            Assert.False(agent.IsLeader);

            // The given clock runs 100,000 ticks (100 s) ahead of real time: exactly one tick per interval,
            // and the election happens on that clock.
            for (int i = 0; i < 100_000; i++)
            {
                time.Advance(TimeSpan.FromMilliseconds(1));
                invoker.Invoke();
            }
            Assert.Equal(100_000, agent.Counters.Ticks);
            Assert.True(agent.IsLeader);
        }
    }

    [Fact]
    public void A_cycle_with_nothing_to_do_reports_no_work_and_a_request_makes_work()
    {
        (RaftNodeAgent<ulong> agent, ManualAgentInvoker invoker, FakeTimeProvider time) = SingleVoter();
        using (invoker)
        {
            Assert.True(invoker.RunUntil(() => agent.IsLeader, 100, () => time.Advance(Interval)));
            while (invoker.Invoke() > 0)
            {
            }
            Assert.Equal(0, invoker.Invoke());

            ValueTask<ProposeResult<ulong>> proposal = agent.ProposeAsync(RecordingStateMachine.Payload(7));
            Assert.True(invoker.Invoke() > 0);
            Assert.True(invoker.RunUntil(() => proposal.IsCompleted, 10));
            ProposeResult<ulong> result = ResultOf(proposal);
            Assert.True(result.IsOk, result.ToString());
            Assert.Equal(agent.AppliedIndex, result.Index);
        }
    }

    [Fact]
    public void The_invoker_closes_an_agent_that_was_asked_to_stop_and_then_does_nothing()
    {
        (RaftNodeAgent<ulong> agent, ManualAgentInvoker invoker, FakeTimeProvider time) = SingleVoter();
        Assert.True(invoker.RunUntil(() => agent.IsLeader, 100, () => time.Advance(Interval)));
        ValueTask<ProposeResult<ulong>> queued = agent.ProposeAsync(RecordingStateMachine.Payload(1));

        agent.RequestStop();
        Assert.Equal(0, invoker.Invoke());

        Assert.True(invoker.IsClosed);
        Assert.True(agent.Completion.IsCompletedSuccessfully);
        Assert.Equal(RequestStatus.ShuttingDown, ResultOf(queued).Status);
        Assert.Equal(RequestStatus.ShuttingDown, ResultOf(agent.ProposeAsync(new byte[8])).Status);
        long cycles = invoker.Invocations;
        Assert.Equal(0, invoker.Invoke());
        Assert.Equal(cycles, invoker.Invocations);
    }

    [Fact]
    public void The_callers_raft_config_is_never_changed()
    {
        var config = new RaftConfig { Id = 1, ElectionTick = 10, HeartbeatTick = 1 };
        var options = new RaftNodeOptions { Raft = config, InitialMembers = [1] };
        var agent = new RaftNodeAgent<ulong>(options, new MemoryStorage(), new InMemoryNetwork().CreateTransport(1), new RecordingStateMachine());

        Assert.Null(config.Storage);
        Assert.Equal((0UL, 0UL, 0UL, 0UL, 0), (config.MaxSizePerMsg, config.MaxCommittedSizePerReady, config.MaxUncommittedEntriesSize, config.MaxInflightBytes, config.SnapshotStatusTimeoutTicks));
        RaftConfig running = agent.Config;
        Assert.NotNull(running.Storage);
        Assert.Equal(RaftNodeOptions.DefaultMaxSizePerMsg, running.MaxSizePerMsg);
        Assert.Equal(20, running.SnapshotStatusTimeoutTicks);
        agent.OnClose();
    }
}
