using FastRaft.Transport.Udp;

namespace FastRaft.Tests.Udp;

public class ReplayWindowTests
{
    [Fact]
    public void Accepts_each_number_once_within_the_window_and_nothing_older()
    {
        var w = new ReplayWindow();
        Assert.True(w.TryAccept(5000));
        Assert.False(w.TryAccept(5000));
        Assert.True(w.TryAccept(5002));
        Assert.True(w.TryAccept(5001)); // late but new
        Assert.False(w.TryAccept(5001));
        Assert.True(w.TryAccept(5000 - ReplayWindow.Size + 3)); // oldest position still tracked
        Assert.False(w.TryAccept(5002 - ReplayWindow.Size)); // fell out of the window
        Assert.True(w.TryAccept(9_000_000)); // a jump clears everything
        Assert.False(w.TryAccept(5002));
        Assert.True(w.TryAccept(9_000_000 - 1));
        Assert.False(w.TryAccept(9_000_000));
    }

    [Fact]
    public void A_sliding_window_forgets_positions_it_passes()
    {
        var w = new ReplayWindow();
        var rng = new Random(8);
        var seen = new HashSet<ulong>();
        ulong newest = 1_000_000;
        Assert.True(w.TryAccept(newest));
        seen.Add(newest);
        for (int i = 0; i < 50_000; i++)
        {
            ulong s = rng.Next(3) == 0 ? newest + (ulong)rng.Next(1, 40) : newest - (ulong)rng.Next(0, ReplayWindow.Size + 50);
            bool expected = !seen.Contains(s) && (s > newest || newest - s < ReplayWindow.Size);
            Assert.Equal(expected, w.TryAccept(s));
            if (expected)
            {
                seen.Add(s);
                newest = Math.Max(newest, s);
            }
        }
    }
}
