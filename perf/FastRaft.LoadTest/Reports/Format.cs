using System.Globalization;
using FastRaft.LoadTest.Results;

namespace FastRaft.LoadTest.Reports;

/// <summary>Number formatting shared by the reports (invariant culture, sensible precision).</summary>
internal static class Format
{
    public static string Count(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Microseconds with precision that suits their size.</summary>
    public static string Micros(double value) => value switch
    {
        0 => "-",
        < 10 => value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.ToString("N0", CultureInfo.InvariantCulture),
    };

    public static string Bytes(double value) => value.ToString(value < 100 ? "0.0" : "N0", CultureInfo.InvariantCulture);

    public static string Ratio(double value) => double.IsFinite(value)
        ? value.ToString(value < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + "×"
        : "-";

    public static string Gc(RunResult r) => $"{r.Gen0Collections}/{r.Gen1Collections}/{r.Gen2Collections}";

    public static string Failures(RunResult r)
    {
        if (r.Error is not null)
        {
            return "error";
        }
        string text = r.Failed == 0 ? "0" : Count(r.Failed) + " (" + string.Join(", ", r.Failures.Select(f => $"{f.Key} {Count(f.Value)}")) + ")";
        if (r.Backlog > 0)
        {
            text += $", backlog {Count(r.Backlog)}";
        }
        return text;
    }

    /// <summary>The column headers and cells of the main results table.</summary>
    public static readonly string[] Columns =
    [
        "scenario", "workload", "committed/s", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "max µs", "B/entry", "GC 0/1/2", "CPU µs/entry", "ctx sw/entry", "failed",
    ];

    public static string[] Cells(RunResult r) => r.Error is not null
        ? [r.Scenario, r.Workload, "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "error: " + r.Error]
        :
        [
            r.Scenario,
            r.Workload,
            Count(r.Throughput),
            Micros(r.Latency.P50Micros),
            Micros(r.Latency.P90Micros),
            Micros(r.Latency.P99Micros),
            Micros(r.Latency.P999Micros),
            Micros(r.Latency.MaxMicros),
            Bytes(r.AllocatedBytesPerEntry),
            Gc(r),
            r.CpuMicrosecondsPerEntry.ToString("0.0", CultureInfo.InvariantCulture),
            r.ContextSwitchesPerEntry.ToString("0.00", CultureInfo.InvariantCulture),
            Failures(r),
        ];
}
