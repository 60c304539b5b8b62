using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Reports;

namespace FastRaft.Benchmarks;

/// <summary>
/// The configuration shared by every suite: allocations measured (the hot path must show 0 B),
/// a median column, times in nanoseconds so suites compare at a glance, and one joined summary
/// per run (BenchmarkDotNet's GitHub markdown report is what perf/results keeps). Job, filter
/// and exporters can be added on the command line.
/// </summary>
public static class BenchConfig
{
    public static IConfig Create() =>
        DefaultConfig.Instance
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(StatisticColumn.Median)
            .WithSummaryStyle(SummaryStyle.Default.WithTimeUnit(Perfolizer.Horology.TimeUnit.Nanosecond))
            .WithOptions(ConfigOptions.JoinSummary | ConfigOptions.DisableLogFile);
}
