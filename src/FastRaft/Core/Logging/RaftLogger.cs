using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRaft.Core.Logging;

/// <summary>
/// The library's internal front over an <see cref="ILogger"/>. Methods take interpolated strings
/// through a handler that asks <see cref="ILogger.IsEnabled"/> first and skips all formatting when
/// the level is off, so <c>log.Debug($"{id:x} sent {n}")</c> allocates nothing unless the line is
/// actually written. A written line goes to <see cref="ILogger.Log{TState}"/> as its text, under
/// an <see cref="EventId"/> from <see cref="RaftLogEvents"/> (0 for ordinary lines).
/// </summary>
internal sealed class RaftLogger
{
    /// <summary>A logger that writes nothing (every level is off).</summary>
    public static readonly RaftLogger Null = new(NullLogger.Instance);

    // Cached once: a static lambda passed as the formatter would be cached too, but this keeps it explicit.
    private static readonly Func<string, Exception?, string> FormatText = static (text, _) => text;

    public RaftLogger(ILogger target)
    {
        ArgumentNullException.ThrowIfNull(target);
        Target = target;
    }

    /// <summary>The logger lines are written to.</summary>
    public ILogger Target { get; }

    /// <summary>A front over <paramref name="logger"/>, or <see cref="Null"/> when it is null.</summary>
    public static RaftLogger For(ILogger? logger) => logger is null ? Null : new RaftLogger(logger);

    public bool IsEnabled(LogLevel level) => Target.IsEnabled(level);

    public void Debug([InterpolatedStringHandlerArgument("")] ref Handler<DebugLevel> message)
    {
        if (message.Enabled)
        {
            Write(LogLevel.Debug, default, message.ToStringAndClear());
        }
    }

    public void Info([InterpolatedStringHandlerArgument("")] ref Handler<InfoLevel> message)
    {
        if (message.Enabled)
        {
            Write(LogLevel.Information, default, message.ToStringAndClear());
        }
    }

    public void Info(EventId id, [InterpolatedStringHandlerArgument("")] ref Handler<InfoLevel> message)
    {
        if (message.Enabled)
        {
            Write(LogLevel.Information, id, message.ToStringAndClear());
        }
    }

    public void Warning([InterpolatedStringHandlerArgument("")] ref Handler<WarningLevel> message)
    {
        if (message.Enabled)
        {
            Write(LogLevel.Warning, default, message.ToStringAndClear());
        }
    }

    public void Warning(EventId id, [InterpolatedStringHandlerArgument("")] ref Handler<WarningLevel> message)
    {
        if (message.Enabled)
        {
            Write(LogLevel.Warning, id, message.ToStringAndClear());
        }
    }

    public void Error([InterpolatedStringHandlerArgument("")] ref Handler<ErrorLevel> message)
    {
        if (message.Enabled)
        {
            Write(LogLevel.Error, default, message.ToStringAndClear());
        }
    }

    public void Error(EventId id, [InterpolatedStringHandlerArgument("")] ref Handler<ErrorLevel> message)
    {
        if (message.Enabled)
        {
            Write(LogLevel.Error, id, message.ToStringAndClear());
        }
    }

    /// <summary>Logs at <see cref="LogLevel.Critical"/> and throws <see cref="RaftPanicException"/> (etcd's Panicf).</summary>
    [DoesNotReturn]
    public void Panic(string message)
    {
        if (Target.IsEnabled(LogLevel.Critical))
        {
            Write(LogLevel.Critical, RaftLogEvents.Panic, message);
        }
        throw new RaftPanicException(message);
    }

    public void Debug(string message) => WriteIfEnabled(LogLevel.Debug, message);

    public void Info(string message) => WriteIfEnabled(LogLevel.Information, message);

    public void Warning(string message) => WriteIfEnabled(LogLevel.Warning, message);

    public void Error(string message) => WriteIfEnabled(LogLevel.Error, message);

    private void WriteIfEnabled(LogLevel level, string message)
    {
        if (Target.IsEnabled(level))
        {
            Write(level, default, message);
        }
    }

    private void Write(LogLevel level, EventId id, string message) => Target.Log(level, id, message, null, FormatText);

    /// <summary>Type-level tag naming a log level, so one handler type serves every level.</summary>
    public interface ILevel
    {
        static abstract LogLevel Level { get; }
    }

    public readonly struct DebugLevel : ILevel
    {
        public static LogLevel Level => LogLevel.Debug;
    }

    public readonly struct InfoLevel : ILevel
    {
        public static LogLevel Level => LogLevel.Information;
    }

    public readonly struct WarningLevel : ILevel
    {
        public static LogLevel Level => LogLevel.Warning;
    }

    public readonly struct ErrorLevel : ILevel
    {
        public static LogLevel Level => LogLevel.Error;
    }

    /// <summary>Formats an interpolated log line only when its level is enabled.</summary>
    [InterpolatedStringHandler]
    public ref struct Handler<TLevel>
        where TLevel : struct, ILevel
    {
        private DefaultInterpolatedStringHandler _builder;

        public Handler(int literalLength, int formattedCount, RaftLogger logger, out bool enabled)
        {
            enabled = logger.Target.IsEnabled(TLevel.Level);
            Enabled = enabled;
            _builder = enabled ? new DefaultInterpolatedStringHandler(literalLength, formattedCount, System.Globalization.CultureInfo.InvariantCulture) : default;
        }

        public bool Enabled { get; }

        public void AppendLiteral(string s) => _builder.AppendLiteral(s);

        public void AppendFormatted<T>(T value) => _builder.AppendFormatted(value);

        public void AppendFormatted<T>(T value, string? format) => _builder.AppendFormatted(value, format);

        public string ToStringAndClear() => _builder.ToStringAndClear();
    }
}
