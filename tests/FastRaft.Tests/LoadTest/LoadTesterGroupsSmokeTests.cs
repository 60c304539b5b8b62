using FastRaft.LoadTest;
using FastRaft.LoadTest.Reports;
using FastRaft.LoadTest.Results;
using FastRaft.LoadTest.Scenarios;
using FastRaft.LoadTest.Targets;

namespace FastRaft.Tests.LoadTest;

/// <summary>
/// The multi-group scenario briefly, over each transport: the clients spread over every group
/// (none idle), the per-group summary is consistent with the aggregate, and report.md has the
/// group-by-group table. Timing is not asserted, only that load flowed through every group.
/// </summary>
[Trait("Category", "Integration")]
public class LoadTesterGroupsSmokeTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fastraft-loadtest-groups-" + Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData(GroupTransport.InMemory)]
    [InlineData(GroupTransport.Udp)]
    [InlineData(GroupTransport.PerGroup)]
    public async Task Six_groups_each_commit_and_the_report_summarizes_them_group_by_group(GroupTransport transport)
    {
        var options = new LoadTestOptions
        {
            Scenario = "fastraft-groups",
            Groups = 6,
            GroupTransport = transport,
            RunnerThreads = 1,
            DurationSeconds = 1,
            WarmupSeconds = 0.3,
            PrimeEntries = 500,
            Clients = [12],
            RunOpen = false,
            OutputDirectory = _folder,
        };
        IReadOnlyList<LoadScenario>? scenarios = ScenarioCatalog.Resolve(options.Scenario, out string? error);
        Assert.NotNull(scenarios);
        var log = new StringWriter();

        LoadTestReport report = await new LoadTestRunner(options, log).RunAsync(scenarios, "smoke", CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(120));
        ReportWriter.WriteAll(report, _folder);

        RunResult r = Assert.Single(report.Results);
        Assert.True(r.Error is null, r.Error + "\n" + log);
        Assert.True(r.Committed > 0, log.ToString());
        GroupSummary groups = Assert.IsType<GroupSummary>(r.Groups);
        Assert.Equal(6, groups.Groups);
        Assert.Equal(0, groups.Idle);
        Assert.True(groups.ThroughputMin > 0 && groups.ThroughputMin <= groups.ThroughputMedian && groups.ThroughputMedian <= groups.ThroughputMax);
        Assert.True(groups.P50MedianMicros <= groups.P50WorstMicros && groups.P99MedianMicros <= groups.P99WorstMicros);
        Assert.InRange(groups.WorstGroup, 1, 6);
        // The groups' throughputs add up to the aggregate (both over the same window, the groups' including the drain).
        Assert.True(groups.ThroughputMax * 6 >= r.Throughput, $"{groups.ThroughputMax} x 6 < {r.Throughput}");
        Assert.Contains("FastRaft 6 groups", r.Setup, StringComparison.Ordinal);
        string markdown = File.ReadAllText(Path.Combine(_folder, ReportWriter.MarkdownFile));
        Assert.Contains("Multi-group runs, group by group", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void The_multi_group_options_parse_and_bad_ones_are_refused()
    {
        LoadTestOptions? o = LoadTestOptions.Parse(["--groups", "48", "--transport", "udp", "--runner-threads", "2", "--spread-leaders", "off"], out string? error);
        Assert.NotNull(o);
        Assert.Null(error);
        Assert.Equal((48, GroupTransport.Udp, 2, false), (o.Groups, o.GroupTransport, o.RunnerThreadsFor(3), o.SpreadLeaders));
        Assert.Null(LoadTestOptions.Parse(["--groups", "0"], out error));
        Assert.Null(LoadTestOptions.Parse(["--transport", "carrier-pigeon"], out error));
        Assert.Contains("--transport", error);
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
