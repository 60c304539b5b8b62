using System.Text;

namespace FastRaft.Simulation;

/// <summary>A writer that keeps only the last lines written (the end of a replayed trace).</summary>
internal sealed class TailWriter(int capacity) : TextWriter
{
    private readonly Queue<string> _lines = new();
    private readonly StringBuilder _current = new();

    public override Encoding Encoding => Encoding.UTF8;

    public IEnumerable<string> Lines => _current.Length > 0 ? [.. _lines, _current.ToString()] : _lines;

    public override void Write(char value)
    {
        if (value == '\n')
        {
            WriteLine(_current.ToString());
            _current.Clear();
        }
        else if (value != '\r')
        {
            _current.Append(value);
        }
    }

    public override void WriteLine(string? value)
    {
        if (_current.Length > 0)
        {
            value = _current.ToString() + value;
            _current.Clear();
        }
        _lines.Enqueue(value ?? "");
        if (_lines.Count > capacity)
        {
            _lines.Dequeue();
        }
    }
}
