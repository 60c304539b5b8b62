using System.Globalization;
using System.Text.RegularExpressions;

namespace FastRaft.Tests.Sample;

/// <summary>Reads the sample's console lines back (replica lines, progress lines).</summary>
internal static partial class SampleOutput
{
    /// <summary>The summary's replica lines: node id, applied index and state hash.</summary>
    public static List<(ulong Node, ulong Applied, string State)> Replicas(string output) =>
        [.. ReplicaLine().Matches(output).Select(m => (
            ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
            ulong.Parse(m.Groups[2].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture),
            m.Groups[3].Value))];

    /// <summary>The per-second lines: leader (0 for none) and commit index.</summary>
    public static List<(ulong Leader, ulong Commit)> Progress(IEnumerable<string> lines) =>
        [.. lines.Select(l => ProgressLine().Match(l)).Where(m => m.Success).Select(m => (
            m.Groups[1].Value == "none" ? 0UL : ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
            ulong.Parse(m.Groups[2].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture)))];

    [GeneratedRegex(@"node (\d+)\s+\S+\s+applied\s+([\d,]+)\s.*state ([0-9a-f]{16})")]
    private static partial Regex ReplicaLine();

    [GeneratedRegex(@"^\[\s*[\d.]+s\] leader (\d+|none)\s+term \d+\s+commit\s+([\d,]+) \|.*orders/s")]
    private static partial Regex ProgressLine();
}
