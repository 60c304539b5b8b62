using HdrHistogram;

namespace FastRaft.LoadTest.Results;

/// <summary>
/// A multi-group run seen group by group: each group's throughput and latency percentiles over
/// the window (proposals drained after it included, as in the run's own latency), summarized
/// across groups as the median and the worst group, so one starved or slow group shows even when
/// the aggregate looks fine.
/// </summary>
public sealed class GroupSummary
{
    /// <summary>Groups the load was spread over.</summary>
    public int Groups { get; init; }

    /// <summary>Groups that committed nothing in the window.</summary>
    public int Idle { get; init; }

    public double ThroughputMin { get; init; }

    public double ThroughputMedian { get; init; }

    public double ThroughputMax { get; init; }

    /// <summary>The median over groups of each group's p50 latency.</summary>
    public double P50MedianMicros { get; init; }

    /// <summary>The highest p50 of any group.</summary>
    public double P50WorstMicros { get; init; }

    /// <summary>The median over groups of each group's p99 latency.</summary>
    public double P99MedianMicros { get; init; }

    /// <summary>The highest p99 of any group (<see cref="WorstGroup"/>).</summary>
    public double P99WorstMicros { get; init; }

    /// <summary>The group (lane index + 1, which is the group id in the FastRaft groups target) with the highest p99.</summary>
    public int WorstGroup { get; init; }

    /// <summary>Summarizes one histogram per group over a window of <paramref name="seconds"/>.</summary>
    public static GroupSummary Of(IReadOnlyList<HistogramBase> groups, double seconds)
    {
        int n = groups.Count;
        var throughput = new double[n];
        // Percentiles of the groups that committed something (an idle group has none).
        var p50 = new List<double>(n);
        var p99 = new List<double>(n);
        int worst = 0;
        double worstP99 = 0;
        for (int i = 0; i < n; i++)
        {
            HistogramBase h = groups[i];
            throughput[i] = seconds > 0 ? h.TotalCount / seconds : 0;
            if (h.TotalCount == 0)
            {
                continue;
            }
            p50.Add(h.GetValueAtPercentile(50) / 1000.0);
            double groupP99 = h.GetValueAtPercentile(99) / 1000.0;
            p99.Add(groupP99);
            if (groupP99 > worstP99)
            {
                worstP99 = groupP99;
                worst = i;
            }
        }
        return new GroupSummary
        {
            Groups = n,
            Idle = n - p50.Count,
            ThroughputMin = Min(throughput),
            ThroughputMedian = Median(throughput),
            ThroughputMax = Max(throughput),
            P50MedianMicros = Median([.. p50]),
            P50WorstMicros = Max([.. p50]),
            P99MedianMicros = Median([.. p99]),
            P99WorstMicros = worstP99,
            WorstGroup = worst + 1,
        };
    }

    /// <summary>One line for the console and the reports.</summary>
    public override string ToString() =>
        $"{Groups} groups ({Idle} idle): per group {ThroughputMin:N0}/{ThroughputMedian:N0}/{ThroughputMax:N0} per s (min/median/max), " +
        $"p50 median {P50MedianMicros:N0} us (worst {P50WorstMicros:N0}), p99 median {P99MedianMicros:N0} us (worst {P99WorstMicros:N0}, group {WorstGroup})";

    private static double Median(double[] values)
    {
        if (values.Length == 0)
        {
            return 0;
        }
        double[] sorted = (double[])values.Clone();
        Array.Sort(sorted);
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static double Min(double[] values) => values.Length == 0 ? 0 : values.Min();

    private static double Max(double[] values) => values.Length == 0 ? 0 : values.Max();
}
