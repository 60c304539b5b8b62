using Microsoft.Extensions.Logging;

namespace FastRaft.Sample.Logging;

/// <summary>
/// The sample's logger: "LEVEL message" lines (etcd's level names) on a <see cref="TextWriter"/>,
/// from a minimum level on. One instance serves every category; the lines name their source.
/// </summary>
internal sealed class TextWriterLogger(TextWriter writer, LogLevel minimum) : ILogger
{
    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }
        string text = formatter(state, exception);
        writer.WriteLine(exception is null ? $"{LevelName(logLevel)} {text}" : $"{LevelName(logLevel)} {text}: {exception}");
    }

    /// <summary>The level as etcd's logger prints it.</summary>
    public static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO",
        LogLevel.Warning => "WARN",
        LogLevel.Error => "ERROR",
        _ => "FATAL",
    };
}
