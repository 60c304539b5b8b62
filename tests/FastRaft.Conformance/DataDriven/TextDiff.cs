using System.Text;

namespace FastRaft.Conformance.DataDriven;

/// <summary>A small line diff (longest common subsequence) for failure reports.</summary>
public static class TextDiff
{
    public static string Describe(string expected, string actual)
    {
        string[] a = SplitLines(expected);
        string[] b = SplitLines(actual);
        int[,] lcs = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
        {
            for (int j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }
        var sb = new StringBuilder();
        sb.Append("--- expected\n+++ actual\n");
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                sb.Append("  ").Append(a[x]).Append('\n');
                x++;
                y++;
            }
            else if (y < b.Length && (x == a.Length || lcs[x, y + 1] >= lcs[x + 1, y]))
            {
                sb.Append("+ ").Append(b[y]).Append('\n');
                y++;
            }
            else
            {
                sb.Append("- ").Append(a[x]).Append('\n');
                x++;
            }
        }
        return sb.ToString();
    }

    private static string[] SplitLines(string s)
    {
        if (s.EndsWith('\n'))
        {
            s = s[..^1];
        }
        return s.Length == 0 ? [] : s.Split('\n');
    }
}
