using System.Text;
using FastRaft.LoadTest.Results;

namespace FastRaft.LoadTest.Reports;

/// <summary>
/// report.html: one self-contained page (inline CSS and SVG, no scripts, no links out) with the
/// tables, and per workload a latency-percentile chart, a throughput-over-time chart and a
/// p99-over-time chart with one line per scenario.
/// </summary>
public static class HtmlReport
{
    private static readonly (double X, string Label)[] s_percentileTicks =
    [
        (0, "0%"), (1, "90%"), (2, "99%"), (3, "99.9%"), (4, "99.99%"), (5, "99.999%"),
    ];

    public static string Render(LoadTestReport report)
    {
        RunEnvironment env = report.Environment;
        LoadTestSettings s = report.Settings;
        var sb = new StringBuilder();
        sb.AppendLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>FastRaft load test</title><style>");
        sb.AppendLine("body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}table{border-collapse:collapse;margin:8px 0 20px}" +
                      "th,td{border:1px solid #ccc;padding:3px 8px;font-size:13px}td.n{text-align:right;font-variant-numeric:tabular-nums}" +
                      "th{background:#f3f3f3}.meets{color:#17702a}.misses{color:#b01c1c}.charts{display:flex;flex-wrap:wrap;gap:12px}" +
                      "h2{margin-top:32px}code{background:#f5f5f5;padding:1px 4px}");
        sb.AppendLine("</style></head><body>");
        sb.AppendLine("<h1>FastRaft load test</h1><ul>");
        sb.AppendLine($"<li>started {env.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC: <code>{E(env.CommandLine)}</code></li>");
        sb.AppendLine($"<li>machine: {env.ProcessorCount} cores, {E(env.Os)}, {E(env.Runtime)}; load average (1/5/15 min) {E(env.LoadAverageAtStart ?? "?")} at start, {E(env.LoadAverageAtEnd ?? "?")} at end</li>");
        sb.AppendLine($"<li>every target: {s.Nodes} nodes in one process, {s.PayloadSize} B payloads, primed with {s.PrimeEntries:N0} entries after start, {s.WarmupSeconds:0.#} s warm-up, {s.DurationSeconds:0.#} s measured per workload, open model bounded at {s.MaxInFlight:N0} in flight</li>");
        sb.AppendLine("<li>latency: proposal to commit as the client sees it (open model: from the intended send time); allocation and CPU: the whole process over the window, per committed entry</li></ul>");

        sb.AppendLine("<h2>Targets</h2><ul>");
        foreach (RunResult r in MarkdownReport.FirstPerScenario(report.Results))
        {
            sb.AppendLine($"<li><b>{E(r.Scenario)}</b> ({E(r.Group)}): {E(r.Setup)}</li>");
        }
        sb.AppendLine("</ul><h2>Results</h2>");
        AppendTable(sb, Format.Columns, report.Results.Select(Format.Cells), null);

        List<Comparison> comparisons = Comparison.All(report.Results);
        if (comparisons.Count > 0)
        {
            sb.AppendLine("<h2>FastRaft against DotNext.Net.Cluster</h2><p>FastRaft ÷ DotNext for the same workload and storage class. Goal: ≥ 10× throughput with many clients, ≤ ⅓ of the p50 latency.</p>");
            AppendTable(sb, ConsoleReport.ComparisonColumns, comparisons.Select(ConsoleReport.ComparisonCells), 6);
        }

        foreach (IGrouping<string, RunResult> workload in report.Results.Where(r => r.Error is null).GroupBy(r => r.Workload))
        {
            sb.AppendLine($"<h2>{E(workload.Key)}</h2><div class=\"charts\">");
            sb.AppendLine(PercentileChart(workload.Key, workload).Render());
            sb.AppendLine(OverTimeChart($"Throughput over time — {workload.Key}", "committed per second", workload, i => i.Committed, logY: false).Render());
            sb.AppendLine(OverTimeChart($"p99 latency per second — {workload.Key}", "p99 latency (µs)", workload, i => i.P99Micros, logY: true).Render());
            sb.AppendLine("</div>");
        }
        sb.AppendLine("</body></html>");
        return sb.ToString();
    }

    private static SvgChart PercentileChart(string workload, IEnumerable<RunResult> runs)
    {
        var chart = new SvgChart
        {
            Title = $"Latency by percentile — {workload}",
            XLabel = "percentile",
            YLabel = "latency (µs)",
            LogY = true,
            XTicks = s_percentileTicks,
        };
        foreach (RunResult r in runs)
        {
            var points = new List<(double, double)>();
            foreach (double[] p in r.Latency.Curve)
            {
                double percentile = Math.Min(p[0], 99.9999);
                points.Add((Math.Log10(100 / (100 - percentile)), p[1]));
            }
            chart.Series.Add(new ChartSeries(r.Scenario, points));
        }
        return chart;
    }

    private static SvgChart OverTimeChart(string title, string yLabel, IEnumerable<RunResult> runs, Func<IntervalStat, double> value, bool logY)
    {
        var chart = new SvgChart { Title = title, XLabel = "second of the measured window", YLabel = yLabel, LogY = logY, IntegerX = true };
        foreach (RunResult r in runs)
        {
            chart.Series.Add(new ChartSeries(r.Scenario, r.Intervals.Select(i => ((double)i.Second, value(i))).ToList()));
        }
        return chart;
    }

    private static void AppendTable(StringBuilder sb, IReadOnlyList<string> headers, IEnumerable<string[]> rows, int? verdictColumn)
    {
        sb.Append("<table><tr>");
        foreach (string h in headers)
        {
            sb.Append("<th>").Append(E(h)).Append("</th>");
        }
        sb.AppendLine("</tr>");
        foreach (string[] row in rows)
        {
            sb.Append("<tr>");
            for (int i = 0; i < row.Length; i++)
            {
                string cls = i == verdictColumn ? (row[i].StartsWith("meets", StringComparison.Ordinal) ? " class=\"meets\"" : " class=\"misses\"")
                    : i >= 2 && i < row.Length - 1 ? " class=\"n\"" : "";
                sb.Append("<td").Append(cls).Append('>').Append(E(row[i])).Append("</td>");
            }
            sb.AppendLine("</tr>");
        }
        sb.AppendLine("</table>");
    }

    private static string E(string text) => SvgChart.Escape(text);
}
