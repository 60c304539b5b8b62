using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace FastRaft.Sample.Telemetry;

/// <summary>
/// <c>--otel-console</c>: FastRaft's meters (<c>FastRaft.Node</c>, <c>FastRaft.Groups</c>, <c>FastRaft.Transport.Udp</c>,
/// <c>FastRaft.Transport.Tcp</c>) exported with OpenTelemetry's console exporter, as an
/// application would wire them to its own exporter (OTLP, Prometheus).
/// </summary>
internal static class ConsoleMetricsExport
{
    /// <summary>Every meter whose name starts with this is exported.</summary>
    public const string MeterPattern = "FastRaft.*";

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Starts exporting to standard output every <see cref="Interval"/>; disposing the provider
    /// exports once more and stops. Meters created later (nodes started after this) are picked up.
    /// </summary>
    public static MeterProvider Start() => Sdk.CreateMeterProviderBuilder()
        .AddMeter(MeterPattern)
        .AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)Interval.TotalMilliseconds)
        .Build();
}
