using Microsoft.Extensions.Logging;

namespace FastRaft.Tests.Tcp;

/// <summary>An <see cref="ILogger"/> keeping every line written at or above a level, with its event id (thread-safe).</summary>
internal sealed class ConcurrentLogger(LogLevel minimum = LogLevel.Debug) : ILogger
{
    private readonly Lock _gate = new();
    private readonly List<(LogLevel Level, EventId Event, string Message)> _lines = [];

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        string message = formatter(state, exception);
        lock (_gate)
        {
            _lines.Add((logLevel, eventId, message));
        }
    }

    public List<(LogLevel Level, EventId Event, string Message)> Lines()
    {
        lock (_gate)
        {
            return [.. _lines];
        }
    }

    public List<string> Warnings() => [.. Lines().Where(l => l.Level == LogLevel.Warning).Select(l => l.Message)];
}
