using System.Runtime.CompilerServices;
using System.Text;

namespace FastRaft.Simulation;

/// <summary>
/// The run's event log. Lines are only formatted when a writer is attached (the interpolated
/// string handler skips formatting otherwise), so untraced runs pay almost nothing. Every line
/// also feeds a running fingerprint when tracing, to show that two runs of a seed were identical.
/// </summary>
public sealed class Trace(TextWriter? writer)
{
    public bool Enabled => writer is not null;

    public ulong Fingerprint { get; private set; } = Fnv.Offset;

    public void Line([InterpolatedStringHandlerArgument("")] ref LineHandler line)
    {
        if (writer is not null)
        {
            string s = line.ToStringAndClear();
            Fingerprint = Fnv.Hash(Encoding.UTF8.GetBytes(s), Fingerprint);
            writer.WriteLine(s);
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
