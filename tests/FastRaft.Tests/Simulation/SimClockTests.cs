using FastRaft.Simulation;

namespace FastRaft.Tests.Simulation;

/// <summary>
/// A simulated node's clock: derived from the simulated time at the node's own rate, exact in
/// integers, and converting a deadline back to the earliest simulated time that reaches it.
/// </summary>
public class SimClockTests
{
    private long _now = 1_000;

    [Fact]
    public void A_clock_with_period_p_advances_one_tick_interval_every_p_units()
    {
        var clock = new SimClock(() => _now, period: 7, offset: 5);
        Assert.Equal(5, clock.GetTimestamp());
        _now += 7;
        Assert.Equal(5 + SimClock.Frequency, clock.GetTimestamp());
        _now += 70;
        Assert.Equal(5 + (11 * SimClock.Frequency), clock.GetTimestamp());
    }

    [Fact]
    public void The_deadline_is_reached_at_the_first_simulated_time_whose_reading_is_at_or_past_it()
    {
        var clock = new SimClock(() => _now, period: 13, offset: 0);
        long deadline = (2 * SimClock.Frequency) + 1; // just past two intervals: 26 units and a bit
        long at = clock.GlobalWhen(deadline);
        Assert.Equal(_now + 27, at);
        Assert.True(clock.LocalAt(at) >= deadline);
        Assert.True(clock.LocalAt(at - 1) < deadline);
        // A deadline already passed is due now.
        Assert.Equal(_now, clock.GlobalWhen(clock.GetTimestamp() - 1));
    }

    [Fact]
    public void A_rate_change_keeps_the_reading_and_changes_only_the_pace()
    {
        var clock = new SimClock(() => _now, period: 10, offset: 0);
        _now += 25;
        long before = clock.GetTimestamp();
        clock.SetPeriod(5);
        Assert.Equal(before, clock.GetTimestamp());
        _now += 5;
        Assert.Equal(before + SimClock.Frequency, clock.GetTimestamp());
    }

    [Fact]
    public void A_leap_moves_the_reading_ahead_at_once()
    {
        var clock = new SimClock(() => _now, period: 10, offset: 0);
        long before = clock.GetTimestamp();
        clock.Leap(3);
        Assert.Equal(before + (3 * SimClock.Frequency), clock.GetTimestamp());
        Assert.Equal(_now, clock.GlobalWhen(before + SimClock.Frequency));
    }

    [Fact]
    public void The_agents_tick_interval_is_one_second_of_the_clock_and_it_sets_no_timers()
    {
        var clock = new SimClock(() => _now, period: 10, offset: 0);
        Assert.Equal(SimClock.Frequency, clock.TimestampFrequency);
        Assert.Equal(TimeSpan.FromSeconds(1), SimClock.TickInterval);
        for (long p = 1; p <= 16; p++)
        {
            Assert.Equal(0, SimClock.Frequency % p);
        }
        Assert.Throws<NotSupportedException>(() => clock.CreateTimer(_ => { }, null, TimeSpan.Zero, TimeSpan.Zero));
    }
}
