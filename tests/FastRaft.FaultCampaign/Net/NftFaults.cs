using System.Globalization;
using System.Text.RegularExpressions;

namespace FastRaft.FaultCampaign;

/// <summary>
/// Network faults made with nftables inside one namespace: a table of its own (<c>inet fault</c>)
/// with input and output chains on the node's interface. Each rule counts what it drops, so a
/// test can prove the fault really bit.
/// </summary>
internal static partial class NftFaults
{
    private const string Table = "fault";
    private static readonly string Ip = Command.Find("ip") ?? "ip";

    /// <summary>The nft binary, or null when nftables is not installed.</summary>
    public static string? Nft { get; } = Command.Find("nft");

    /// <summary>Drops <paramref name="percent"/>% of the packets in and out of <paramref name="device"/>, at random.</summary>
    public static void Loss(string ns, string device, int percent) =>
        Replace(ns, FormattableString.Invariant($"numgen random mod 100 < {percent}"), device);

    /// <summary>Drops every packet in and out of <paramref name="device"/>: the namespace is cut off.</summary>
    public static void Partition(string ns, string device) => Replace(ns, "", device);

    /// <summary>Removes the fault table: traffic flows again. Safe to call when there is none.</summary>
    public static void Heal(string ns) => Apply(ns, $"table inet {Table}\ndelete table inet {Table}\n");

    /// <summary>Packets dropped by the current fault table (0 when there is none).</summary>
    public static long Dropped(string ns)
    {
        CommandResult r = Command.Run(Ip, "netns", "exec", ns, NftPath(), "list", "table", "inet", Table);
        long total = 0;
        if (r.Succeeded)
        {
            foreach (Match m in Counter().Matches(r.Output))
            {
                total += long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            }
        }
        return total;
    }

    private static void Replace(string ns, string condition, string device)
    {
        string match = condition.Length == 0 ? "" : condition + " ";
        // One atomic nft transaction: create (if missing), flush, then the new rules.
        Apply(ns, $$"""
            table inet {{Table}}
            delete table inet {{Table}}
            table inet {{Table}} {
                chain input {
                    type filter hook input priority -10; policy accept;
                    iifname "{{device}}" {{match}}counter drop
                }
                chain output {
                    type filter hook output priority -10; policy accept;
                    oifname "{{device}}" {{match}}counter drop
                }
            }

            """);
    }

    private static void Apply(string ns, string ruleset)
    {
        CommandResult r = Command.Run(Ip, ["netns", "exec", ns, NftPath(), "-f", "-"], ruleset);
        if (!r.Succeeded)
        {
            throw new InvalidOperationException($"nft in namespace {ns} failed: {r}\n{ruleset}");
        }
    }

    private static string NftPath() => Nft ?? throw new InvalidOperationException("nft is not installed (apt-get install nftables)");

    [GeneratedRegex(@"counter packets (\d+) bytes \d+")]
    private static partial Regex Counter();
}
