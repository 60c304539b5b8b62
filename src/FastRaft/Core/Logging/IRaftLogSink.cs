#pragma warning disable CS1591 // docs pending: api helper
namespace FastRaft.Core.Logging;

/// <summary>
/// Where the core's log lines go. The core only formats a line when <see cref="IsEnabled"/> says
/// the level is wanted, so a disabled level costs no allocation.
/// </summary>
public interface IRaftLogSink
{
    bool IsEnabled(RaftLogLevel level);

    void Write(RaftLogLevel level, string message);
}

/// <summary>A sink that drops everything.</summary>
public sealed class NullRaftLogSink : IRaftLogSink
{
    public static readonly NullRaftLogSink Instance = new();

    public bool IsEnabled(RaftLogLevel level) => false;

    public void Write(RaftLogLevel level, string message) { }
}

/// <summary>A sink writing "LEVEL message" lines to a <see cref="TextWriter"/> from a minimum level.</summary>
public sealed class TextWriterRaftLogSink(TextWriter writer, RaftLogLevel minimum = RaftLogLevel.Info) : IRaftLogSink
{
    public bool IsEnabled(RaftLogLevel level) => level >= minimum && level != RaftLogLevel.None;

    public void Write(RaftLogLevel level, string message) => writer.WriteLine($"{RaftLogger.LevelName(level)} {message}");
}
