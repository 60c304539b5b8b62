using System.Text;
using FastRaft.LoadTest.Results;

namespace FastRaft.LoadTest.Reports;

/// <summary>report.md: environment, settings, results, the comparison, and each run's seconds.</summary>
public static class MarkdownReport
{
    public static string Render(LoadTestReport report)
    {
        RunEnvironment env = report.Environment;
        LoadTestSettings s = report.Settings;
        var sb = new StringBuilder();
        sb.AppendLine("# FastRaft load test");
        sb.AppendLine();
        sb.AppendLine($"- started: {env.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC");
        sb.AppendLine($"- command: `{env.CommandLine}`");
        sb.AppendLine($"- machine: {env.ProcessorCount} cores, {env.Os}, {env.Runtime}, {(env.ServerGc ? "server" : "workstation")} GC");
        sb.AppendLine($"- load average (1/5/15 min): {env.LoadAverageAtStart ?? "?"} at start, {env.LoadAverageAtEnd ?? "?"} at end");
        sb.AppendLine($"- every target: {s.Nodes} nodes in this process, {s.PayloadSize} B payloads, primed with {s.PrimeEntries:N0} entries after start, {s.WarmupSeconds:0.#} s warm-up then {s.DurationSeconds:0.#} s measured per workload; open model bounded at {s.MaxInFlight:N0} in flight");
        sb.AppendLine("- latency: proposal to commit, as the client sees it (closed: from the call; open: from the intended send time). Allocation and CPU are the whole process's (three nodes and the load generator) over the measured window, divided by committed entries.");
        sb.AppendLine();
        sb.AppendLine("## Targets");
        sb.AppendLine();
        foreach (RunResult r in FirstPerScenario(report.Results))
        {
            sb.AppendLine($"- **{r.Scenario}** ({r.Group}): {r.Setup}");
        }
        sb.AppendLine();
        if (report.Idle.Count > 0)
        {
            sb.AppendLine("## Idle");
            sb.AppendLine();
            sb.AppendLine("Each target after its election, before any load (the whole process: three nodes and the idle load generator).");
            sb.AppendLine();
            sb.AppendLine("| scenario | seconds | CPU (share of one core) | context switches/s |");
            sb.AppendLine("| --- | ---: | ---: | ---: |");
            foreach (IdleResult i in report.Idle)
            {
                sb.AppendLine($"| {i.Scenario} | {i.Seconds:0.0} | {i.CpuShareOfOneCore:P1} | {i.ContextSwitchesPerSecond:N0} |");
            }
            sb.AppendLine();
        }
        sb.AppendLine("## Results");
        sb.AppendLine();
        sb.Append(TextTable.Markdown(Format.Columns, report.Results.Select(Format.Cells).ToList()));
        List<Comparison> comparisons = Comparison.All(report.Results);
        if (comparisons.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("## FastRaft against DotNext.Net.Cluster");
            sb.AppendLine();
            sb.AppendLine("Ratios are FastRaft ÷ DotNext for the same workload and storage class. Goal: at least 10× the throughput with many clients, at most a third of the p50 latency.");
            sb.AppendLine();
            sb.Append(TextTable.Markdown(ConsoleReport.ComparisonColumns, comparisons.Select(ConsoleReport.ComparisonCells).ToList()));
        }
        if (report.Results.Any(r => r.Groups is not null))
        {
            sb.AppendLine();
            sb.AppendLine("## Multi-group runs, group by group");
            sb.AppendLine();
            sb.AppendLine("Each group's own throughput and latency over the window, then across groups: the median group and the worst one.");
            sb.AppendLine();
            sb.AppendLine("| scenario | workload | groups | idle | per group /s min | median | max | p50 median µs | p50 worst µs | p99 median µs | p99 worst µs (group) |");
            sb.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (RunResult r in report.Results)
            {
                if (r.Groups is GroupSummary g)
                {
                    sb.AppendLine($"| {r.Scenario} | {r.Workload} | {g.Groups} | {g.Idle} | {Format.Count((long)g.ThroughputMin)} | {Format.Count((long)g.ThroughputMedian)} | {Format.Count((long)g.ThroughputMax)} | " +
                        $"{Format.Micros(g.P50MedianMicros)} | {Format.Micros(g.P50WorstMicros)} | {Format.Micros(g.P99MedianMicros)} | {Format.Micros(g.P99WorstMicros)} ({g.WorstGroup}) |");
                }
            }
        }
        if (report.Results.Any(r => r.Model == "open" && r.Error is null))
        {
            sb.AppendLine();
            sb.AppendLine("## Open model: the injector's own lateness");
            sb.AppendLine();
            sb.AppendLine("Latency is measured from each send's intended time, so a late send counts against the target; this is how late the load generator itself was.");
            sb.AppendLine();
            foreach (RunResult r in report.Results.Where(r => r.Model == "open" && r.Error is null))
            {
                sb.AppendLine($"- {r.Scenario}, {r.Workload}: mean {Format.Micros(r.SendLagMeanMicros)} µs, max {Format.Micros(r.SendLagMaxMicros)} µs" +
                    (r.Backlog > 0 ? $", {Format.Count(r.Backlog)} sends never issued (at most {Format.Count(r.MaxInFlight)} in flight)" : ""));
            }
        }
        if (report.Results.Any(r => r.TargetCounters.Count > 0))
        {
            sb.AppendLine();
            sb.AppendLine("## Target counters over the window, per committed entry");
            sb.AppendLine();
            foreach (RunResult r in report.Results.Where(r => r.TargetCounters.Count > 0 && r.Committed > 0))
            {
                sb.AppendLine($"- {r.Scenario}, {r.Workload}: " + string.Join(", ",
                    r.TargetCounters.Select(c => $"{c.Key} {(double)c.Value / r.Committed:0.###}")));
            }
        }
        sb.AppendLine();
        sb.AppendLine("## Per second");
        foreach (RunResult r in report.Results)
        {
            if (r.Intervals.Count == 0)
            {
                continue;
            }
            sb.AppendLine();
            sb.AppendLine($"<details><summary>{r.Scenario}, {r.Workload}</summary>");
            sb.AppendLine();
            sb.Append(TextTable.Markdown(
                ["second", "", "committed", "failed", "p50 µs", "p99 µs", "max µs"],
                r.Intervals.Select(i => new[]
                {
                    i.Second.ToString(System.Globalization.CultureInfo.InvariantCulture), "",
                    Format.Count(i.Committed), Format.Count(i.Failed), Format.Micros(i.P50Micros), Format.Micros(i.P99Micros), Format.Micros(i.MaxMicros),
                }).ToList()));
            sb.AppendLine();
            sb.AppendLine("</details>");
        }
        return sb.ToString();
    }

    internal static IEnumerable<RunResult> FirstPerScenario(IEnumerable<RunResult> results)
    {
        var seen = new HashSet<string>();
        foreach (RunResult r in results)
        {
            if (seen.Add(r.Scenario))
            {
                yield return r;
            }
        }
    }
}
