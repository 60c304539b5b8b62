using FastRaft.Core.Logging;

namespace FastRaft.Tests.Tcp;

/// <summary>Keeps every line written at or above a level (thread-safe), and counts the lines it was asked about.</summary>
internal sealed class ConcurrentLogSink(RaftLogLevel minimum = RaftLogLevel.Debug) : IRaftLogSink
{
    private readonly Lock _gate = new();
    private readonly List<(RaftLogLevel Level, string Message)> _lines = [];

    public bool IsEnabled(RaftLogLevel level) => level >= minimum && level != RaftLogLevel.None;

    public void Write(RaftLogLevel level, string message)
    {
        lock (_gate)
        {
            _lines.Add((level, message));
        }
    }

    public List<(RaftLogLevel Level, string Message)> Lines()
    {
        lock (_gate)
        {
            return [.. _lines];
        }
    }

    public List<string> Warnings() => [.. Lines().Where(l => l.Level == RaftLogLevel.Warning).Select(l => l.Message)];
}
