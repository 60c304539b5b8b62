using System.Text;

namespace FastRaft.LoadTest.Reports;

/// <summary>Aligned plain-text and Markdown tables.</summary>
internal static class TextTable
{
    /// <summary>Columns padded to their widest cell, text left and numbers right.</summary>
    public static string Plain(IReadOnlyList<string> headers, IReadOnlyList<string[]> rows)
    {
        int[] widths = Widths(headers, rows);
        var sb = new StringBuilder();
        AppendRow(sb, headers, widths, null);
        sb.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (string[] row in rows)
        {
            AppendRow(sb, row, widths, rows);
        }
        return sb.ToString();
    }

    public static string Markdown(IReadOnlyList<string> headers, IReadOnlyList<string[]> rows)
    {
        var sb = new StringBuilder();
        sb.Append("| ").AppendJoin(" | ", headers.Select(Escape)).AppendLine(" |");
        sb.Append('|');
        for (int i = 0; i < headers.Count; i++)
        {
            sb.Append(i < 2 ? " --- |" : " ---: |");
        }
        sb.AppendLine();
        foreach (string[] row in rows)
        {
            sb.Append("| ").AppendJoin(" | ", row.Select(Escape)).AppendLine(" |");
        }
        return sb.ToString();
    }

    private static string Escape(string cell) => cell.Replace("|", "\\|", StringComparison.Ordinal);

    private static int[] Widths(IReadOnlyList<string> headers, IReadOnlyList<string[]> rows)
    {
        var widths = new int[headers.Count];
        for (int i = 0; i < widths.Length; i++)
        {
            widths[i] = headers[i].Length;
            foreach (string[] row in rows)
            {
                if (i < row.Length)
                {
                    widths[i] = Math.Max(widths[i], row[i].Length);
                }
            }
        }
        return widths;
    }

    private static void AppendRow(StringBuilder sb, IReadOnlyList<string> cells, int[] widths, IReadOnlyList<string[]>? rows)
    {
        for (int i = 0; i < widths.Length; i++)
        {
            string cell = i < cells.Count ? cells[i] : "";
            bool right = rows is not null && i >= 2 && i < widths.Length - 1;
            sb.Append(right ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]));
            if (i < widths.Length - 1)
            {
                sb.Append("  ");
            }
        }
        sb.AppendLine();
    }
}
