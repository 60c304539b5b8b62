using FastRaft.LoadTest.Results;

namespace FastRaft.LoadTest;

/// <summary>Everything one invocation measured.</summary>
public sealed class LoadTestReport
{
    public required RunEnvironment Environment { get; init; }

    public required LoadTestSettings Settings { get; init; }

    public List<RunResult> Results { get; init; } = [];
}

/// <summary>The settings every target of the run shared.</summary>
public sealed record LoadTestSettings(
    int Nodes, int PayloadSize, double WarmupSeconds, double DurationSeconds, int MaxInFlight, long PrimeEntries, string DataDirectory);
