using FastRaft.LoadTest;
using FastRaft.LoadTest.Reports;
using FastRaft.LoadTest.Results;
using FastRaft.LoadTest.Scenarios;

namespace FastRaft.Tests.LoadTest;

/// <summary>
/// The load tester end to end, briefly: every FastRaft target plus the in-memory DotNext baseline
/// (it starts in well under a second) for about a second per workload at a low rate, then the
/// three report files, checked for sane numbers. Timing is not asserted, only that load flowed.
/// </summary>
[Trait("Category", "Integration")]
public class LoadTesterSmokeTests : IDisposable
{
    private static readonly string[] s_scenarios = ["fastraft-udp", "fastraft-tcp", "fastraft-inmem", "fastraft-matching", "fastraft-udp-wal", "dotnext-tcp"];
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fastraft-loadtest-smoke-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Each_target_runs_both_models_and_the_reports_hold_sane_numbers()
    {
        var options = new LoadTestOptions
        {
            Scenario = string.Join(',', s_scenarios),
            DurationSeconds = 1,
            WarmupSeconds = 0.3,
            PrimeEntries = 500,
            Clients = [4],
            Rates = [300],
            MaxInFlight = 64,
            OutputDirectory = _folder,
            DataDirectory = _folder,
        };
        IReadOnlyList<LoadScenario>? scenarios = ScenarioCatalog.Resolve(options.Scenario, out string? error);
        Assert.NotNull(scenarios);
        Assert.Null(error);
        var log = new StringWriter();

        LoadTestReport report = await new LoadTestRunner(options, log).RunAsync(scenarios, "smoke", CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(120));
        IReadOnlyList<string> files = ReportWriter.WriteAll(report, _folder);

        Assert.Equal(s_scenarios.Length * 2, report.Results.Count);
        foreach (RunResult r in report.Results)
        {
            string what = $"{r.Scenario} {r.Workload}: {r.Error}\n{log}";
            Assert.True(r.Error is null, what);
            Assert.True(r.Committed > 0, what);
            Assert.Equal(r.Committed, r.Intervals.Sum(i => i.Committed));
            Assert.InRange(r.DurationSeconds, 0.9, 60);
            Assert.True(r.Latency.Count >= r.Committed, what);
            Assert.True(r.Latency.P50Micros > 0 && r.Latency.P50Micros <= r.Latency.P99Micros && r.Latency.P99Micros <= r.Latency.MaxMicros, what);
            Assert.NotEmpty(r.Latency.Curve);
            Assert.True(r.AllocatedBytes >= 0 && r.CpuSeconds >= 0, what);
            if (r.Model == "open")
            {
                // The injector never sends ahead of its schedule (a late injector may catch up
                // within the window, so there is no useful lower bound beyond "some").
                double due = r.OfferedRate * (r.WarmupSeconds + r.DurationSeconds);
                Assert.True(r.Committed + r.Failed <= due + 1, $"{r.Committed + r.Failed} proposals ended in the window, only {due} were ever due");
            }
        }
        Assert.Contains(report.Results, r => r.Scenario == "fastraft-udp-wal");
        // The TCP target's messages went over its connections (its counters are reported).
        Assert.All(report.Results.Where(r => r.Scenario == "fastraft-tcp"), r =>
            Assert.True(r.TargetCounters.GetValueOrDefault("tcp.messagesReceived") > 0, string.Join(", ", r.TargetCounters)));
        Assert.Empty(Directory.EnumerateDirectories(_folder, "fastraft-wal-*"));

        Assert.Equal(3, files.Count);
        Assert.All(files, f => Assert.True(new FileInfo(f).Length > 0, f));
        LoadTestReport? parsed = JsonReport.Parse(File.ReadAllText(Path.Combine(_folder, ReportWriter.JsonFile)));
        Assert.NotNull(parsed);
        Assert.Equal(report.Results.Select(r => (r.Scenario, r.WorkloadKey, r.Committed)), parsed.Results.Select(r => (r.Scenario, r.WorkloadKey, r.Committed)));
        string markdown = File.ReadAllText(Path.Combine(_folder, ReportWriter.MarkdownFile));
        Assert.All(s_scenarios, s => Assert.Contains(s, markdown, StringComparison.Ordinal));
        Assert.Contains("FastRaft against DotNext.Net.Cluster", markdown, StringComparison.Ordinal);
        string html = File.ReadAllText(Path.Combine(_folder, ReportWriter.HtmlFile));
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=", html, StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        GC.SuppressFinalize(this);
    }
}
