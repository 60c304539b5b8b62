using FastRaft.LoadTest.Results;

namespace FastRaft.LoadTest;

/// <summary>Everything one invocation measured.</summary>
public sealed class LoadTestReport
{
    public required RunEnvironment Environment { get; init; }

    public required LoadTestSettings Settings { get; init; }

    public List<RunResult> Results { get; init; } = [];

    /// <summary>Each target's cost when idle (<c>--idle</c>), in the order measured.</summary>
    public List<IdleResult> Idle { get; init; } = [];
}

/// <summary>
/// A target with no load for <see cref="Seconds"/>: the process's CPU (as a share of one core) and
/// its context switches per second (-1 where the OS does not tell) — what an idle cluster costs its host.
/// </summary>
public sealed record IdleResult(string Scenario, double Seconds, double CpuShareOfOneCore, double ContextSwitchesPerSecond);

/// <summary>The settings every target of the run shared.</summary>
public sealed record LoadTestSettings(
    int Nodes, int PayloadSize, double WarmupSeconds, double DurationSeconds, int MaxInFlight, long PrimeEntries, string DataDirectory);
