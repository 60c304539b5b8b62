using FastRaft.LoadTest.Results;

namespace FastRaft.LoadTest.Reports;

/// <summary>
/// A FastRaft run against the baseline (DotNext) run of the same group and workload: the
/// throughput ratio and the p50 ratio, against the goals (≥ 10× throughput, ≤ 1/3 of p50).
/// </summary>
public sealed record Comparison(RunResult Candidate, RunResult Baseline)
{
    public const double ThroughputGoal = 10;
    public const double LatencyGoal = 1.0 / 3;

    public double ThroughputRatio => Baseline.Throughput > 0 ? Candidate.Throughput / Baseline.Throughput : double.PositiveInfinity;

    public double P50Ratio => Baseline.Latency.P50Micros > 0 ? Candidate.Latency.P50Micros / Baseline.Latency.P50Micros : double.NaN;

    public double P99Ratio => Baseline.Latency.P99Micros > 0 ? Candidate.Latency.P99Micros / Baseline.Latency.P99Micros : double.NaN;

    /// <summary>Throughput is the goal of the closed model with many clients; an open run offers the same rate to both, so only latency counts there.</summary>
    public bool ThroughputCounts => Candidate.Model == "closed" && Candidate.Clients > 1;

    public bool MeetsThroughput => ThroughputRatio >= ThroughputGoal;

    public bool MeetsLatency => P50Ratio <= LatencyGoal;

    public string Verdict
    {
        get
        {
            if (Candidate.Error is not null || Baseline.Error is not null)
            {
                return "no data";
            }
            var misses = new List<string>();
            if (ThroughputCounts && !MeetsThroughput)
            {
                misses.Add("throughput");
            }
            if (!MeetsLatency)
            {
                misses.Add("p50");
            }
            return misses.Count == 0 ? "meets" : "misses " + string.Join(" and ", misses);
        }
    }

    /// <summary>Every FastRaft run that has a baseline run in its group with the same workload.</summary>
    public static List<Comparison> All(IReadOnlyList<RunResult> results)
    {
        var list = new List<Comparison>();
        foreach (RunResult baseline in results)
        {
            if (!baseline.IsBaseline)
            {
                continue;
            }
            foreach (RunResult candidate in results)
            {
                if (!candidate.IsBaseline && candidate.Group == baseline.Group && candidate.WorkloadKey == baseline.WorkloadKey)
                {
                    list.Add(new Comparison(candidate, baseline));
                }
            }
        }
        return list;
    }
}
