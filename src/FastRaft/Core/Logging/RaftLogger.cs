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

    public void Debug([InterpolatedStringHandlerArgument("")] ref DebugHandler message)
    {
        if (message.Enabled)
        {
            Sink.Write(RaftLogLevel.Debug, message.ToStringAndClear());
        }
    }

    public void Info([InterpolatedStringHandlerArgument("")] ref InfoHandler message)
    {
        if (message.Enabled)
        {
            Sink.Write(RaftLogLevel.Info, message.ToStringAndClear());
        }
    }

    public void Warning([InterpolatedStringHandlerArgument("")] ref WarningHandler message)
    {
        if (message.Enabled)
        {
            Sink.Write(RaftLogLevel.Warning, message.ToStringAndClear());
        }
    }

    public void Error([InterpolatedStringHandlerArgument("")] ref ErrorHandler message)
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

    [InterpolatedStringHandler]
    public ref struct DebugHandler
    {
        private LevelHandler _inner;

        public DebugHandler(int literalLength, int formattedCount, RaftLogger logger, out bool enabled) =>
            _inner = new LevelHandler(literalLength, formattedCount, logger, RaftLogLevel.Debug, out enabled);

        public readonly bool Enabled => _inner.Enabled;

        public void AppendLiteral(string s) => _inner.AppendLiteral(s);

        public void AppendFormatted<T>(T value) => _inner.AppendFormatted(value);

        public void AppendFormatted<T>(T value, string? format) => _inner.AppendFormatted(value, format);

        public string ToStringAndClear() => _inner.ToStringAndClear();
    }

    [InterpolatedStringHandler]
    public ref struct InfoHandler
    {
        private LevelHandler _inner;

        public InfoHandler(int literalLength, int formattedCount, RaftLogger logger, out bool enabled) =>
            _inner = new LevelHandler(literalLength, formattedCount, logger, RaftLogLevel.Info, out enabled);

        public readonly bool Enabled => _inner.Enabled;

        public void AppendLiteral(string s) => _inner.AppendLiteral(s);

        public void AppendFormatted<T>(T value) => _inner.AppendFormatted(value);

        public void AppendFormatted<T>(T value, string? format) => _inner.AppendFormatted(value, format);

        public string ToStringAndClear() => _inner.ToStringAndClear();
    }

    [InterpolatedStringHandler]
    public ref struct WarningHandler
    {
        private LevelHandler _inner;

        public WarningHandler(int literalLength, int formattedCount, RaftLogger logger, out bool enabled) =>
            _inner = new LevelHandler(literalLength, formattedCount, logger, RaftLogLevel.Warning, out enabled);

        public readonly bool Enabled => _inner.Enabled;

        public void AppendLiteral(string s) => _inner.AppendLiteral(s);

        public void AppendFormatted<T>(T value) => _inner.AppendFormatted(value);

        public void AppendFormatted<T>(T value, string? format) => _inner.AppendFormatted(value, format);

        public string ToStringAndClear() => _inner.ToStringAndClear();
    }

    [InterpolatedStringHandler]
    public ref struct ErrorHandler
    {
        private LevelHandler _inner;

        public ErrorHandler(int literalLength, int formattedCount, RaftLogger logger, out bool enabled) =>
            _inner = new LevelHandler(literalLength, formattedCount, logger, RaftLogLevel.Error, out enabled);

        public readonly bool Enabled => _inner.Enabled;

        public void AppendLiteral(string s) => _inner.AppendLiteral(s);

        public void AppendFormatted<T>(T value) => _inner.AppendFormatted(value);

        public void AppendFormatted<T>(T value, string? format) => _inner.AppendFormatted(value, format);

        public string ToStringAndClear() => _inner.ToStringAndClear();
    }

    /// <summary>Shared body of the per-level handlers: formats only when the level is enabled.</summary>
    private ref struct LevelHandler
    {
        private DefaultInterpolatedStringHandler _builder;

        public LevelHandler(int literalLength, int formattedCount, RaftLogger logger, RaftLogLevel level, out bool enabled)
        {
            enabled = logger.Sink.IsEnabled(level);
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
