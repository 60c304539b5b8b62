using System.Text;
using FastRaft.Core.Logging;

namespace FastRaft.Diagnostics;

/// <summary>
/// Go's double-quoted string syntax (<c>strconv.Quote</c>, and so <c>fmt.Sprintf("%q", []byte)</c>),
/// which etcd's describe formats use for entry payloads. The implementation lives with the
/// core's log text (the core quotes payloads in its own log lines and must not call Diagnostics).
/// </summary>
public static class GoQuote
{
    /// <summary>The quoted form of <paramref name="data"/>, quotes included.</summary>
    public static string Quote(ReadOnlySpan<byte> data) => GoQuotedText.Quote(data);

    /// <summary>Appends the quoted form of <paramref name="data"/>, quotes included.</summary>
    public static void AppendQuoted(StringBuilder sb, ReadOnlySpan<byte> data) => GoQuotedText.AppendQuoted(sb, data);

    /// <summary>Go's <c>strconv.IsPrint</c>.</summary>
    public static bool IsPrint(int r) => GoQuotedText.IsPrint(r);
}
