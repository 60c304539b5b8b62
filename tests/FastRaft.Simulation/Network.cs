using System.Text;

namespace FastRaft.Simulation;

/// <summary>
/// The simulated network's faults: blocked directed links (symmetric partitions block both
/// directions, one-way partitions one) and the per-message fate — dropped, delayed, delayed a
/// lot (which reorders), or duplicated. A link is checked when a message arrives, so a
/// partition also catches messages already in flight.
/// </summary>
internal sealed class Network(Scenario scenario, SimRandom rng)
{
    private readonly SortedSet<(ulong From, ulong To)> _blocked = [];

    /// <summary>In the calm phase messages are neither dropped nor duplicated (they may still be slow).</summary>
    public bool Calm { get; set; }

    /// <summary>A node cut off from everyone until this is cleared (the quiet phase's isolation; healing partitions leaves it).</summary>
    public ulong Isolated { get; set; }

    public bool IsBlocked(ulong from, ulong to) =>
        (Isolated != 0 && from != to && (from == Isolated || to == Isolated)) || _blocked.Contains((from, to));

    public bool HasPartitions => _blocked.Count > 0;

    public void BlockOneWay(ulong from, ulong to)
    {
        if (from != to)
        {
            _blocked.Add((from, to));
        }
    }

    public void BlockBothWays(ulong a, ulong b)
    {
        BlockOneWay(a, b);
        BlockOneWay(b, a);
    }

    public void Heal() => _blocked.Clear();

    /// <summary>
    /// Decides what happens to one sent message: fills <paramref name="delays"/> with the delay of
    /// each copy that will arrive and returns how many (0 = dropped, 2 = duplicated).
    /// </summary>
    public int Fate(Span<long> delays)
    {
        if (!Calm && rng.Chance(scenario.DropRate))
        {
            return 0;
        }
        int copies = !Calm && rng.Chance(scenario.DuplicateRate) ? 2 : 1;
        for (int i = 0; i < copies; i++)
        {
            long d = rng.Between(scenario.MinDelay, scenario.MaxDelay);
            if (rng.Chance(scenario.LongDelayRate))
            {
                d += rng.Between(10, 120);
            }
            delays[i] = d;
        }
        return copies;
    }

    public string Describe()
    {
        if (_blocked.Count == 0)
        {
            return "none";
        }
        var sb = new StringBuilder();
        foreach ((ulong from, ulong to) in _blocked)
        {
            sb.Append(from).Append("-x->").Append(to).Append(' ');
        }
        return sb.ToString().TrimEnd();
    }
}
