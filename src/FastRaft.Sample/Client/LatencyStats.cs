using HdrHistogram;

namespace FastRaft.Sample.Client;

/// <summary>
/// Latencies in microseconds, recorded by one thread and read by another: an HdrHistogram
/// <see cref="Recorder"/> hands out per-interval histograms (for the live line) and every
/// interval is added to the total (for the summary).
/// </summary>
public sealed class LatencyStats
{
    /// <summary>The largest latency kept apart (a minute); longer ones count as a minute.</summary>
    public const long MaxMicros = 60_000_000;

    private readonly Recorder _recorder = new(1, MaxMicros, 3, static (id, low, high, digits) => new LongHistogram(id, low, high, digits));
    private readonly LongHistogram _total = new(1, MaxMicros, 3);
    private readonly Lock _gate = new();
    private HistogramBase? _interval;

    /// <summary>Records one latency (any thread).</summary>
    public void Record(long micros) => _recorder.RecordValue(Math.Clamp(micros, 1, MaxMicros));

    /// <summary>The latencies recorded since the last call, also added to <see cref="Total"/>.</summary>
    public LatencySummary TakeInterval()
    {
        lock (_gate)
        {
            _interval = _recorder.GetIntervalHistogram(_interval);
            _total.Add(_interval);
            return LatencySummary.Of(_interval);
        }
    }

    /// <summary>Every latency recorded so far (taking the current interval).</summary>
    public LatencySummary Total()
    {
        lock (_gate)
        {
            _interval = _recorder.GetIntervalHistogram(_interval);
            _total.Add(_interval);
            return LatencySummary.Of(_total);
        }
    }
}

/// <summary>Percentiles of a set of latencies, in microseconds.</summary>
public readonly record struct LatencySummary(long Count, long P50, long P90, long P99, long P999, long Max)
{
    internal static LatencySummary Of(HistogramBase h) => h.TotalCount == 0
        ? default
        : new(h.TotalCount, h.GetValueAtPercentile(50), h.GetValueAtPercentile(90), h.GetValueAtPercentile(99),
            h.GetValueAtPercentile(99.9), h.GetMaxValue());

    /// <summary>Microseconds as milliseconds with two decimals.</summary>
    public static string Millis(long micros) => (micros / 1000.0).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
}
