using System.Globalization;
using System.Text.RegularExpressions;

namespace FastRaft.FaultCampaign;

/// <summary>
/// One of the per-second lines of a sample <c>--node</c> process, e.g.
/// <c>[  5.0s] node 1 follower  leader 2  term 3  commit 1,234  applied 1,234 | orders ...</c>.
/// </summary>
internal sealed partial record NodeStatus(ulong Node, string Role, ulong Leader, ulong Term, ulong Commit, ulong Applied)
{
    /// <summary>The last status line among <paramref name="lines"/>, or null.</summary>
    public static NodeStatus? Last(IReadOnlyList<string> lines)
    {
        for (int i = lines.Count - 1; i >= 0; i--)
        {
            Match m = Line().Match(lines[i]);
            if (m.Success)
            {
                return new NodeStatus(
                    Number(m.Groups[1].Value), m.Groups[2].Value,
                    m.Groups[3].Value == "none" ? 0 : Number(m.Groups[3].Value),
                    Number(m.Groups[4].Value), Number(m.Groups[5].Value), Number(m.Groups[6].Value));
            }
        }
        return null;
    }

    /// <summary>
    /// The node that leads according to the nodes themselves: the one whose latest line says
    /// leader at a term no other node has passed (a deposed leader cut off from the others may
    /// still call itself leader of an older term). 0 when there is none.
    /// </summary>
    public static ulong CurrentLeader(IEnumerable<NodeStatus?> latest)
    {
        List<NodeStatus> known = [.. latest.OfType<NodeStatus>()];
        ulong highest = known.Count == 0 ? 0 : known.Max(s => s.Term);
        return known.Find(s => s.Role == "leader" && s.Term == highest)?.Node ?? 0;
    }

    private static ulong Number(string text) => ulong.Parse(text.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\[\s*[\d.]+s\] node (\d+) (\S+)\s+leader (\d+|none)\s+term (\d+)\s+commit\s+([\d,]+)\s+applied\s+([\d,]+) \|")]
    private static partial Regex Line();
}
