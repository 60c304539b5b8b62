namespace FastRaft.LoadTest.Results;

/// <summary>One scenario under one workload: what the reports show.</summary>
public sealed class RunResult
{
    public required string Scenario { get; init; }

    public required string Group { get; init; }

    public required bool IsBaseline { get; init; }

    public required string Setup { get; init; }

    /// <summary>"closed" or "open".</summary>
    public required string Model { get; init; }

    /// <summary>"closed, 64 clients" or "open, 5,000/s".</summary>
    public required string Workload { get; init; }

    /// <summary>"closed-64" or "open-5000".</summary>
    public required string WorkloadKey { get; init; }

    /// <summary>Closed model: clients.</summary>
    public int Clients { get; init; }

    /// <summary>Open model: offered proposals per second.</summary>
    public int OfferedRate { get; init; }

    /// <summary>Open model: the bound on outstanding proposals.</summary>
    public int MaxInFlight { get; init; }

    public double WarmupSeconds { get; init; }

    /// <summary>The measured window's actual length.</summary>
    public double DurationSeconds { get; init; }

    /// <summary>Proposals committed within the window.</summary>
    public long Committed { get; init; }

    /// <summary>Proposals that failed within the window, by outcome.</summary>
    public Dictionary<string, long> Failures { get; init; } = [];

    public long Failed { get; init; }

    /// <summary>Open model: sends due by the end of the window that were never issued.</summary>
    public long Backlog { get; init; }

    /// <summary>Open model: how late the injector issued sends after their intended time (the load generator's own delay, included in the latencies).</summary>
    public double SendLagMeanMicros { get; init; }

    public double SendLagMaxMicros { get; init; }

    /// <summary>Proposals still outstanding after the drain timeout.</summary>
    public int StillInFlight { get; init; }

    /// <summary>Committed proposals per second over the window.</summary>
    public double Throughput { get; init; }

    /// <summary>Latency of committed proposals sent within the window (including those that completed during the drain).</summary>
    public required LatencySummary Latency { get; init; }

    /// <summary>Multi-group targets: how the groups fared one by one (null for a single group).</summary>
    public GroupSummary? Groups { get; init; }

    /// <summary>Per second of the window.</summary>
    public List<IntervalStat> Intervals { get; init; } = [];

    /// <summary>Bytes allocated by the whole process in the window.</summary>
    public long AllocatedBytes { get; init; }

    public double AllocatedBytesPerEntry { get; init; }

    public int Gen0Collections { get; init; }

    public int Gen1Collections { get; init; }

    public int Gen2Collections { get; init; }

    public double GcPauseMilliseconds { get; init; }

    /// <summary>CPU time the whole process used in the window.</summary>
    public double CpuSeconds { get; init; }

    public double CpuMicrosecondsPerEntry { get; init; }

    /// <summary>Context switches of the process's threads in the window per committed entry (Linux; 0 elsewhere).</summary>
    public double ContextSwitchesPerEntry { get; init; }

    /// <summary>The target's own counters' change over the window (see <c>ILoadTarget.Counters</c>).</summary>
    public Dictionary<string, long> TargetCounters { get; init; } = [];

    /// <summary>Why the run did not produce results, if it did not.</summary>
    public string? Error { get; init; }
}

/// <summary>One second of a window.</summary>
public sealed record IntervalStat(int Second, long Committed, long Failed, double P50Micros, double P99Micros, double MaxMicros);

/// <summary>Latency percentiles in microseconds.</summary>
public sealed class LatencySummary
{
    public long Count { get; init; }

    public double MeanMicros { get; init; }

    public double P50Micros { get; init; }

    public double P90Micros { get; init; }

    public double P99Micros { get; init; }

    public double P999Micros { get; init; }

    public double P9999Micros { get; init; }

    public double MaxMicros { get; init; }

    /// <summary>The percentile curve for charts: (percentile, microseconds), from HdrHistogram's percentile iteration.</summary>
    public List<double[]> Curve { get; init; } = [];
}
