using System.Runtime.CompilerServices;

namespace FastRaft.Simulation;

/// <summary>
/// The run's event log. Lines are only formatted when a writer is attached (the interpolated
/// string handler skips formatting otherwise), so untraced runs pay almost nothing.
/// </summary>
public sealed class Trace(TextWriter? writer)
{
    public bool Enabled => writer is not null;

    public void Line([InterpolatedStringHandlerArgument("")] ref LineHandler line)
    {
        if (writer is not null)
        {
            writer.WriteLine(line.ToStringAndClear());
        }
    }

    [InterpolatedStringHandler]
    public ref struct LineHandler
    {
        private DefaultInterpolatedStringHandler _inner;

        public LineHandler(int literalLength, int formattedCount, Trace trace, out bool enabled)
        {
            enabled = trace.Enabled;
            _inner = enabled ? new DefaultInterpolatedStringHandler(literalLength, formattedCount, System.Globalization.CultureInfo.InvariantCulture) : default;
        }

        public void AppendLiteral(string s) => _inner.AppendLiteral(s);

        public void AppendFormatted<T>(T value) => _inner.AppendFormatted(value);

        public void AppendFormatted<T>(T value, string? format) => _inner.AppendFormatted(value, format);

        public void AppendFormatted(string? value) => _inner.AppendFormatted(value);

        public string ToStringAndClear() => _inner.ToStringAndClear();
    }
}
