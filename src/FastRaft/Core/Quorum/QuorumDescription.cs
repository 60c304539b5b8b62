using System.Globalization;
using System.Text;

namespace FastRaft.Core.Quorum;

/// <summary>
/// Renders the acked indexes of a set of voters as a small bar chart: the voter with the
/// i-th smallest index gets a bar of length i (voters with equal indexes share a bar), and
/// voters with nothing acked are marked <c>?</c>. Diagnostic output only.
/// </summary>
internal static class QuorumDescription
{
    public static string Describe(ReadOnlySpan<ulong> ids, IAckedIndexer l)
    {
        int n = ids.Length;
        if (n == 0)
        {
            return "<empty majority quorum>";
        }

        var rows = new Row[n];
        for (int i = 0; i < n; i++)
        {
            bool ok = l.AckedIndex(ids[i], out ulong idx);
            rows[i] = new Row(ids[i], ok ? idx : 0, ok);
        }

        Array.Sort(rows, static (a, b) => a.Index != b.Index ? a.Index.CompareTo(b.Index) : a.Id.CompareTo(b.Id));
        for (int i = 1; i < n; i++)
        {
            rows[i].Bar = rows[i - 1].Index < rows[i].Index ? i : rows[i - 1].Bar;
        }
        Array.Sort(rows, static (a, b) => a.Id.CompareTo(b.Id));

        var sb = new StringBuilder();
        sb.Append(' ', n).Append("    idx\n");
        foreach (Row r in rows)
        {
            if (!r.Ok)
            {
                sb.Append('?').Append(' ', n);
            }
            else
            {
                sb.Append('x', r.Bar).Append('>').Append(' ', n - r.Bar);
            }
            sb.Append(CultureInfo.InvariantCulture, $" {r.Index,5}    (id={r.Id})\n");
        }
        return sb.ToString();
    }

    private struct Row(ulong id, ulong index, bool ok)
    {
        public readonly ulong Id = id;
        public readonly ulong Index = index;
        public readonly bool Ok = ok;
        public int Bar;
    }
}
