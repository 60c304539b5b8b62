#pragma warning disable CS1591 // docs pending: api helper
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace FastRaft.Core.Logging;

/// <summary>
/// The core's logger. Methods take interpolated strings through a handler that skips all
/// formatting when the level is disabled, so <c>log.Debug($"{id:x} sent {n}")</c> allocates
/// nothing unless the line is actually written.
/// </summary>
public sealed class RaftLogger(IRaftLogSink sink)
{
    public static readonly RaftLogger Null = new(NullRaftLogSink.Instance);

    public IRaftLogSink Sink { get; } = sink;

    public bool IsEnabled(RaftLogLevel level) => Sink.IsEnabled(level);

    public void Debug([InterpolatedStringHandlerArgument("")] ref Handler<DebugLevel> message)
    {
        if (message.Enabled)
        {
            Sink.Write(RaftLogLevel.Debug, message.ToStringAndClear());
        }
    }

    public void Info([InterpolatedStringHandlerArgument("")] ref Handler<InfoLevel> message)
    {
        if (message.Enabled)
        {
            Sink.Write(RaftLogLevel.Info, message.ToStringAndClear());
        }
    }

    public void Warning([InterpolatedStringHandlerArgument("")] ref Handler<WarningLevel> message)
    {
        if (message.Enabled)
        {
            Sink.Write(RaftLogLevel.Warning, message.ToStringAndClear());
        }
    }

    public void Error([InterpolatedStringHandlerArgument("")] ref Handler<ErrorLevel> message)
    {
        if (message.Enabled)
        {
            Sink.Write(RaftLogLevel.Error, message.ToStringAndClear());
        }
    }

    /// <summary>Logs at FATAL and throws <see cref="RaftPanicException"/> (etcd's Panicf).</summary>
    [DoesNotReturn]
    public void Panic(string message)
    {
        if (Sink.IsEnabled(RaftLogLevel.Fatal))
        {
            Sink.Write(RaftLogLevel.Fatal, message);
        }
        throw new RaftPanicException(message);
    }

    public void Debug(string message) => Write(RaftLogLevel.Debug, message);

    public void Info(string message) => Write(RaftLogLevel.Info, message);

    public void Warning(string message) => Write(RaftLogLevel.Warning, message);

    public void Error(string message) => Write(RaftLogLevel.Error, message);

    private void Write(RaftLogLevel level, string message)
    {
        if (Sink.IsEnabled(level))
        {
            Sink.Write(level, message);
        }
    }

    /// <summary>The level as etcd's test logger prints it.</summary>
    public static string LevelName(RaftLogLevel level) => level switch
    {
        RaftLogLevel.Debug => "DEBUG",
        RaftLogLevel.Info => "INFO",
        RaftLogLevel.Warning => "WARN",
        RaftLogLevel.Error => "ERROR",
        RaftLogLevel.Fatal => "FATAL",
        _ => "NONE",
    };

    /// <summary>Type-level tag naming a log level, so one handler type serves every level.</summary>
    public interface ILevel
    {
        static abstract RaftLogLevel Level { get; }
    }

    public readonly struct DebugLevel : ILevel
    {
        public static RaftLogLevel Level => RaftLogLevel.Debug;
    }

    public readonly struct InfoLevel : ILevel
    {
        public static RaftLogLevel Level => RaftLogLevel.Info;
    }

    public readonly struct WarningLevel : ILevel
    {
        public static RaftLogLevel Level => RaftLogLevel.Warning;
    }

    public readonly struct ErrorLevel : ILevel
    {
        public static RaftLogLevel Level => RaftLogLevel.Error;
    }

    /// <summary>Formats an interpolated log line only when its level is enabled.</summary>
    [InterpolatedStringHandler]
    public ref struct Handler<TLevel>
        where TLevel : struct, ILevel
    {
        private DefaultInterpolatedStringHandler _builder;

        public Handler(int literalLength, int formattedCount, RaftLogger logger, out bool enabled)
        {
            enabled = logger.Sink.IsEnabled(TLevel.Level);
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
