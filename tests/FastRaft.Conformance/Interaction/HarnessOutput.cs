using System.Text;
using Microsoft.Extensions.Logging;

namespace FastRaft.Conformance.Interaction;

/// <summary>
/// The harness's output buffer, which is also the nodes' logger (etcd's RedirectLogger):
/// log lines ("LEVEL message", etcd's level names) and harness output interleave in the order
/// they happen. Level NONE silences both; <see cref="WithIndent"/> captures a section and
/// indents it by two spaces.
/// </summary>
internal sealed class HarnessOutput : ILogger
{
    /// <summary>etcd's level names, lowest first, with the <see cref="LogLevel"/> each stands for.</summary>
    public static readonly (string Name, LogLevel Level)[] LevelNames =
    [
        ("DEBUG", LogLevel.Debug), ("INFO", LogLevel.Information), ("WARN", LogLevel.Warning),
        ("ERROR", LogLevel.Error), ("FATAL", LogLevel.Critical), ("NONE", LogLevel.None),
    ];

    private StringBuilder _current = new();

    public LogLevel Level { get; set; } = LogLevel.Debug;

    public bool Quiet => Level == LogLevel.None;

    public int Length => _current.Length;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= Level && Level != LogLevel.None;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }
        string message = formatter(state, exception);
        _current.Append(NameOf(logLevel)).Append(' ').Append(message);
        if (message.Length == 0 || message[^1] != '\n')
        {
            _current.Append('\n');
        }
    }

    private static string NameOf(LogLevel level)
    {
        foreach ((string name, LogLevel l) in LevelNames)
        {
            if (l == level)
            {
                return name;
            }
        }
        return level.ToString().ToUpperInvariant();
    }

    public void Append(string s)
    {
        if (!Quiet)
        {
            _current.Append(s);
        }
    }

    public void AppendLine(string s)
    {
        if (!Quiet)
        {
            _current.Append(s).Append('\n');
        }
    }

    /// <summary>Writes even when quiet (errors are always reported).</summary>
    public void AppendAlways(string s) => _current.Append(s);

    public void Reset() => _current.Clear();

    public override string ToString() => _current.ToString();

    public void WithIndent(Action body)
    {
        StringBuilder outer = _current;
        _current = new StringBuilder();
        try
        {
            body();
        }
        finally
        {
            string inner = _current.ToString();
            _current = outer;
            foreach (string line in SplitLines(inner))
            {
                outer.Append("  ").Append(line).Append('\n');
            }
        }
    }

    private static IEnumerable<string> SplitLines(string s)
    {
        if (s.Length == 0)
        {
            yield break;
        }
        string[] lines = s.Split('\n');
        int n = lines.Length;
        if (lines[^1].Length == 0)
        {
            n--;
        }
        for (int i = 0; i < n; i++)
        {
            yield return lines[i];
        }
    }
}
