using System.Text;
using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Diagnostics;

public static partial class Describe
{
    /// <summary>
    /// <c>term/index Type payload</c>: a normal entry's payload through <paramref name="f"/> (Go
    /// quoting by default); a configuration change in its text form (<c>v2 l3 r1</c>), or the
    /// decoder's error when its payload does not decode.
    /// </summary>
    public static string Entry(in Entry e, EntryFormatter? f = null)
    {
        var sb = new StringBuilder();
        AppendEntry(sb, e, f);
        return sb.ToString();
    }

    /// <summary>Every entry on its own line, each line ending in a newline.</summary>
    public static string Entries(ReadOnlySpan<Entry> ents, EntryFormatter? f = null)
    {
        var sb = new StringBuilder();
        AppendEntries(sb, ents, f);
        return sb.ToString();
    }

    internal static void AppendEntries(StringBuilder sb, ReadOnlySpan<Entry> ents, EntryFormatter? f)
    {
        foreach (ref readonly Entry e in ents)
        {
            AppendEntry(sb, e, f);
            sb.Append('\n');
        }
    }

    internal static void AppendEntry(StringBuilder sb, in Entry e, EntryFormatter? f)
    {
        sb.Append(e.Term).Append('/').Append(e.Index).Append(' ').Append(EtcdTypeText.Of(e.Type));
        switch (e.Type)
        {
            case EntryType.Normal:
                if (f is null)
                {
                    sb.Append(' ');
                    GoQuote.AppendQuoted(sb, e.Data.Span);
                }
                else
                {
                    AppendPayload(sb, f(e.Data));
                }
                break;
            case EntryType.ConfChange:
                AppendPayload(sb, ConfChangeCodec.TryDecodeV1(e.Data.Span, out ConfChange v1, out string? err1)
                    ? ConfChangeText.Format([new ConfChangeSingle(v1.Type, v1.NodeId)])
                    : err1);
                break;
            case EntryType.ConfChangeV2:
                AppendPayload(sb, ConfChangeCodec.TryDecodeV2(e.Data.Span, out ConfChangeV2? v2, out string? err2)
                    ? ConfChangeText.Format(v2.Changes)
                    : err2);
                break;
        }
    }

    // etcd separates the payload with a space only when there is something to show.
    private static void AppendPayload(StringBuilder sb, string? formatted)
    {
        if (!string.IsNullOrEmpty(formatted))
        {
            sb.Append(' ').Append(formatted);
        }
    }
}
