using FastRaft.LoadTest.Results;

namespace FastRaft.LoadTest.Reports;

/// <summary>The console summary: the results table and the comparison with the baseline.</summary>
public static class ConsoleReport
{
    public static void Write(LoadTestReport report, TextWriter output)
    {
        output.WriteLine();
        output.Write(TextTable.Plain(Format.Columns, report.Results.Select(Format.Cells).ToList()));
        List<Comparison> comparisons = Comparison.All(report.Results);
        if (comparisons.Count > 0)
        {
            output.WriteLine();
            output.Write(TextTable.Plain(ComparisonColumns, comparisons.Select(ComparisonCells).ToList()));
        }
        output.WriteLine();
        output.WriteLine($"load average (1/5/15 min): {report.Environment.LoadAverageAtStart ?? "?"} at start, {report.Environment.LoadAverageAtEnd ?? "?"} at end; {report.Environment.ProcessorCount} cores");
    }

    internal static readonly string[] ComparisonColumns =
        ["scenario", "workload", "vs", "throughput", "p50", "p99", "goal (≥10× thr., ≤⅓ p50)"];

    internal static string[] ComparisonCells(Comparison c) =>
    [
        c.Candidate.Scenario,
        c.Candidate.Workload,
        c.Baseline.Scenario,
        Format.Ratio(c.ThroughputRatio),
        Format.Ratio(c.P50Ratio),
        Format.Ratio(c.P99Ratio),
        c.Verdict,
    ];
}
