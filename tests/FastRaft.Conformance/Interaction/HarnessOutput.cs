using System.Text;
using FastRaft.Core.Logging;

namespace FastRaft.Conformance.Interaction;

/// <summary>
/// The harness's output buffer, which is also the nodes' log sink (etcd's RedirectLogger):
/// log lines and harness output interleave in the order they happen. Level NONE silences
/// both; <see cref="WithIndent"/> captures a section and indents it by two spaces.
/// </summary>
internal sealed class HarnessOutput : IRaftLogSink
{
    private StringBuilder _current = new();

    public RaftLogLevel Level { get; set; } = RaftLogLevel.Debug;

    public bool Quiet => Level == RaftLogLevel.None;

    public int Length => _current.Length;

    public bool IsEnabled(RaftLogLevel level) => level >= Level && Level != RaftLogLevel.None;

    public void Write(RaftLogLevel level, string message)
    {
        if (!IsEnabled(level))
        {
            return;
        }
        _current.Append(RaftLogger.LevelName(level)).Append(' ').Append(message);
        if (message.Length == 0 || message[^1] != '\n')
        {
            _current.Append('\n');
        }
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
