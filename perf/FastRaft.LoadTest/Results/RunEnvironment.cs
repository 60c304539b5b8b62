using System.Runtime.InteropServices;

namespace FastRaft.LoadTest.Results;

/// <summary>Where and how a run happened, for the reports.</summary>
public sealed class RunEnvironment
{
    public required DateTimeOffset StartedUtc { get; init; }

    public required string CommandLine { get; init; }

    public required string Runtime { get; init; }

    public required string Os { get; init; }

    public required int ProcessorCount { get; init; }

    public required bool ServerGc { get; init; }

    /// <summary>/proc/loadavg (1, 5, 15 minutes) at the start, when the OS has it.</summary>
    public string? LoadAverageAtStart { get; init; }

    /// <summary>/proc/loadavg at the end.</summary>
    public string? LoadAverageAtEnd { get; set; }

    public static RunEnvironment Capture(string commandLine) => new()
    {
        StartedUtc = DateTimeOffset.UtcNow,
        CommandLine = commandLine,
        Runtime = RuntimeInformation.FrameworkDescription,
        Os = RuntimeInformation.OSDescription,
        ProcessorCount = Environment.ProcessorCount,
        ServerGc = System.Runtime.GCSettings.IsServerGC,
        LoadAverageAtStart = ReadLoadAverage(),
    };

    /// <summary>The first three fields of /proc/loadavg, or null.</summary>
    public static string? ReadLoadAverage()
    {
        try
        {
            string[] parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return parts.Length >= 3 ? string.Join(' ', parts[0], parts[1], parts[2]) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
