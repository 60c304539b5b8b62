using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace FastRaft.FaultCampaign;

/// <summary>
/// A private network of Linux network namespaces: a router namespace holding a bridge, and one
/// namespace per node joined to the bridge by a veth pair (<c>eth0</c> on the node's side).
/// Nothing is created in the caller's namespace, so traffic stays among these namespaces and the
/// fixed addresses and ports inside cannot clash with anything else on the machine. Disposing
/// deletes the namespaces, which takes the veths and the bridge with them (once no process is
/// left inside).
/// </summary>
internal sealed partial class NamespaceNetwork : IDisposable
{
    /// <summary>The node's side of its veth pair, inside the node's namespace.</summary>
    public const string NodeInterface = "eth0";

    private const string Prefix = "frnf";
    private const string Subnet = "10.88.0";
    private readonly string _ip;
    private readonly string _name;
    private readonly List<string> _created = [];

    private NamespaceNetwork(string ip, string name)
    {
        _ip = ip;
        _name = name;
    }

    /// <summary>The namespace of the bridge, where a client reaches every node.</summary>
    public string RouterNamespace => _name + "-r";

    /// <summary>The router namespace's address on the bridge.</summary>
    public static IPAddress RouterAddress => IPAddress.Parse(Subnet + ".254");

    public string NodeNamespace(ulong id) => $"{_name}-n{id}";

    public static IPAddress NodeAddress(ulong id) => IPAddress.Parse(FormattableString.Invariant($"{Subnet}.{id}"));

    /// <summary>
    /// Builds the network for nodes 1..<paramref name="nodes"/>. Returns null with the reason when
    /// this machine cannot create network namespaces at all (not Linux, not root, no iproute2, or
    /// no permission); throws when namespaces work but a later step fails.
    /// </summary>
    public static NamespaceNetwork? TryCreate(int nodes, out string reason)
    {
        reason = "";
        if (!OperatingSystem.IsLinux())
        {
            reason = "network namespaces need Linux";
            return null;
        }
        if (!Environment.IsPrivilegedProcess)
        {
            reason = "creating network namespaces needs root";
            return null;
        }
        string? ip = Command.Find("ip");
        if (ip is null)
        {
            reason = "iproute2's ip command is not installed (apt-get install iproute2)";
            return null;
        }
        SweepLeftovers(ip);
        string name = FormattableString.Invariant($"{Prefix}-{Environment.ProcessId}-{Random.Shared.Next(0x10000):x4}");
        var network = new NamespaceNetwork(ip, name);
        CommandResult first = Command.Run(ip, "netns", "add", network.RouterNamespace);
        if (!first.Succeeded)
        {
            reason = $"this machine cannot create a network namespace (ip netns add: {first})";
            return null;
        }
        network._created.Add(network.RouterNamespace);
        try
        {
            network.Build(nodes);
            return network;
        }
        catch (InvalidOperationException e)
        {
            // A namespace but no bridge or veth pair (a container without those kernel features):
            // the network cannot be made here, which callers report as not runnable, not failed.
            network.Dispose();
            reason = $"this machine cannot build the namespace network ({e.Message})";
            return null;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Runs <c>ip</c> with <paramref name="args"/>; a failure is an error of the test's setup.</summary>
    public void Ip(params string[] args)
    {
        CommandResult r = Command.Run(_ip, args);
        if (!r.Succeeded)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} failed: {r}");
        }
    }

    /// <summary>Deletes every namespace this network created (best effort: a failure is not hidden behind another).</summary>
    public void Dispose()
    {
        for (int i = _created.Count - 1; i >= 0; i--)
        {
            Command.Run(_ip, "netns", "delete", _created[i]);
        }
        _created.Clear();
    }

    private void Build(int nodes)
    {
        string r = RouterNamespace;
        Ip("-n", r, "link", "set", "lo", "up");
        Ip("-n", r, "link", "add", "br0", "type", "bridge");
        Ip("-n", r, "addr", "add", $"{RouterAddress}/24", "dev", "br0");
        Ip("-n", r, "link", "set", "br0", "up");
        for (ulong id = 1; id <= (ulong)nodes; id++)
        {
            string ns = NodeNamespace(id);
            Ip("netns", "add", ns);
            _created.Add(ns);
            string port = FormattableString.Invariant($"p{id}");
            // Both ends are created directly in their namespaces: nothing appears in ours.
            Ip("link", "add", NodeInterface, "netns", ns, "type", "veth", "peer", "name", port, "netns", r);
            Ip("-n", ns, "link", "set", "lo", "up");
            Ip("-n", ns, "addr", "add", $"{NodeAddress(id)}/24", "dev", NodeInterface);
            Ip("-n", ns, "link", "set", NodeInterface, "up");
            Ip("-n", r, "link", "set", port, "master", "br0");
            Ip("-n", r, "link", "set", port, "up");
        }
    }

    /// <summary>
    /// Deletes namespaces left by earlier runs whose test process is gone (killed before its
    /// finally blocks ran). Names carry the creating process's id, so live runs are never touched.
    /// </summary>
    private static void SweepLeftovers(string ip)
    {
        CommandResult list = Command.Run(ip, "netns", "list");
        if (!list.Succeeded)
        {
            return;
        }
        foreach (Match m in LeftoverName().Matches(list.Output))
        {
            int pid = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            if (pid != Environment.ProcessId && !Directory.Exists(FormattableString.Invariant($"/proc/{pid}")))
            {
                Command.Run(ip, "netns", "delete", m.Groups[1].Value);
            }
        }
    }

    [GeneratedRegex(@"^((?:" + Prefix + @")-(\d+)-[0-9a-f]{4}-(?:r|n\d+))\b", RegexOptions.Multiline)]
    private static partial Regex LeftoverName();
}
