using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FastRaft.Extensions.Hosting;

/// <summary>A node's settings with their text turned into addresses and a key: what the builder is given.</summary>
internal sealed record ResolvedNodeSettings(
    ulong NodeId,
    IPEndPoint Listen,
    Dictionary<ulong, IPEndPoint> Peers,
    FastRaftTransportKind Transport,
    byte[]? ClusterKey,
    string? DataDirectory,
    bool RequireExistingData,
    IReadOnlyList<ulong>? InitialMembers,
    TimeSpan TickInterval,
    int ElectionTicks,
    int HeartbeatTicks);

/// <summary>
/// Checks <see cref="FastRaftNodeSettings"/> and resolves them, collecting every problem with the
/// configuration key it concerns (<c>prefix:Property</c>), never echoing key material.
/// </summary>
internal static class NodeSettingsReader
{
    /// <summary>Smallest cluster key accepted, as the transports require.</summary>
    private const int MinKeyBytes = 16;

    /// <summary>A key file is a line of hex; anything larger is not one (and is not read whole).</summary>
    private const int MaxKeyFileBytes = 4096;

    public static ResolvedNodeSettings? TryResolve(FastRaftNodeSettings s, string prefix, List<string> problems)
    {
        int before = problems.Count;
        string Key(string property) => prefix.Length == 0 ? property : $"{prefix}:{property}";

        if (s.NodeId == 0)
        {
            problems.Add($"{Key(nameof(s.NodeId))}: must be set to this node's id (non-zero)");
        }
        var peers = new Dictionary<ulong, IPEndPoint>();
        foreach ((ulong id, string address) in s.Peers ?? [])
        {
            string key = $"{Key(nameof(s.Peers))}:{id.ToString(CultureInfo.InvariantCulture)}";
            if (id == 0)
            {
                problems.Add($"{key}: 0 is not a node id");
            }
            else if (ParseEndPoint(address, key, problems) is IPEndPoint endPoint)
            {
                peers[id] = endPoint;
            }
        }
        IPEndPoint? listen = ResolveListen(s, peers, Key(nameof(s.Listen)), Key(nameof(s.Peers)), problems);
        if (!Enum.IsDefined(s.Transport))
        {
            problems.Add($"{Key(nameof(s.Transport))}: must be udp or tcp");
        }
        byte[]? clusterKey = ReadClusterKey(s, Key, problems);
        IReadOnlyList<ulong>? members = CheckMembership(s, peers, Key(nameof(s.InitialMembers)), Key(nameof(s.Join)), Key(nameof(s.Peers)), problems);
        if (s.TickIntervalMs <= 0)
        {
            problems.Add($"{Key(nameof(s.TickIntervalMs))}: must be a positive number of milliseconds (was {s.TickIntervalMs})");
        }
        if (s.HeartbeatTicks <= 0 || s.ElectionTicks <= s.HeartbeatTicks)
        {
            problems.Add($"{Key(nameof(s.ElectionTicks))}, {Key(nameof(s.HeartbeatTicks))}: the election timeout ({s.ElectionTicks}) must exceed the heartbeat interval ({s.HeartbeatTicks}), which must be at least 1");
        }
        if (s.RequireExistingData && string.IsNullOrWhiteSpace(s.DataDirectory))
        {
            problems.Add($"{Key(nameof(s.RequireExistingData))}: requires {Key(nameof(s.DataDirectory))} (an in-memory log never exists before the start)");
        }
        if (s.Transport == FastRaftTransportKind.Tcp && listen is { Port: 0 })
        {
            problems.Add($"{Key(nameof(s.Listen))}: a TCP node needs a fixed port (its peers dial it)");
        }
        if (problems.Count > before)
        {
            return null;
        }
        return new ResolvedNodeSettings(s.NodeId, listen!, peers, s.Transport, clusterKey,
            string.IsNullOrWhiteSpace(s.DataDirectory) ? null : s.DataDirectory, s.RequireExistingData, members,
            TimeSpan.FromMilliseconds(s.TickIntervalMs), s.ElectionTicks, s.HeartbeatTicks);
    }

    private static IPEndPoint? ResolveListen(FastRaftNodeSettings s, Dictionary<ulong, IPEndPoint> peers, string listenKey, string peersKey, List<string> problems)
    {
        if (!string.IsNullOrWhiteSpace(s.Listen))
        {
            return ParseEndPoint(s.Listen, listenKey, problems);
        }
        if (peers.TryGetValue(s.NodeId, out IPEndPoint? own))
        {
            return own;
        }
        if (s.NodeId != 0 && !(s.Peers?.ContainsKey(s.NodeId) ?? false))
        {
            problems.Add($"{listenKey}: must be set (host:port), or {peersKey} must list this node ({s.NodeId})");
        }
        return null;
    }

    private static IReadOnlyList<ulong>? CheckMembership(FastRaftNodeSettings s, Dictionary<ulong, IPEndPoint> peers,
        string membersKey, string joinKey, string peersKey, List<string> problems)
    {
        List<ulong> members = s.InitialMembers ?? [];
        if (s.Join)
        {
            if (members.Count > 0)
            {
                problems.Add($"{membersKey}, {joinKey}: both are set; a node either bootstraps a new cluster (InitialMembers) or joins one (Join)");
            }
            return null;
        }
        if (members.Count == 0)
        {
            problems.Add($"{membersKey}: must list the voters of a new cluster (this node among them), or set {joinKey} to true for a node the leader will add");
            return null;
        }
        if (s.NodeId != 0 && !members.Contains(s.NodeId))
        {
            problems.Add($"{membersKey}: does not include this node ({s.NodeId}); a node that is not a member sets {joinKey} to true");
        }
        foreach (ulong member in members)
        {
            if (member == 0 || members.IndexOf(member) != members.LastIndexOf(member))
            {
                problems.Add($"{membersKey}: ids must be non-zero and distinct");
                break;
            }
            if (member != s.NodeId && !peers.ContainsKey(member) && !(s.Peers?.ContainsKey(member) ?? false))
            {
                problems.Add($"{peersKey}: has no address for initial member {member}");
            }
        }
        return members;
    }

    private static byte[]? ReadClusterKey(FastRaftNodeSettings s, Func<string, string> key, List<string> problems)
    {
        string fileKey = key(nameof(s.ClusterKeyFile)), hexKey = key(nameof(s.ClusterKeyHex)), insecureKey = key(nameof(s.InsecureNoAuthentication));
        bool hasFile = !string.IsNullOrWhiteSpace(s.ClusterKeyFile), hasHex = !string.IsNullOrWhiteSpace(s.ClusterKeyHex);
        int given = (hasFile ? 1 : 0) + (hasHex ? 1 : 0) + (s.InsecureNoAuthentication ? 1 : 0);
        if (given != 1)
        {
            problems.Add(given == 0
                ? $"{fileKey} or {hexKey}: the cluster key is not set (the same secret of at least {MinKeyBytes} bytes, as hex, on every node); only where every host is trusted, set {insecureKey} to true instead"
                : $"{fileKey}, {hexKey}, {insecureKey}: set exactly one of them");
            return null;
        }
        if (s.InsecureNoAuthentication)
        {
            return null;
        }
        string text;
        if (hasFile)
        {
            try
            {
                using var file = new FileStream(s.ClusterKeyFile!, FileMode.Open, FileAccess.Read, FileShare.Read);
                byte[] buffer = new byte[MaxKeyFileBytes + 1];
                int n = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
                if (n > MaxKeyFileBytes)
                {
                    problems.Add($"{fileKey}: {s.ClusterKeyFile} is larger than {MaxKeyFileBytes} bytes, so not a key file (hex text)");
                    return null;
                }
                text = System.Text.Encoding.ASCII.GetString(buffer, 0, n);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                problems.Add($"{fileKey}: cannot read {s.ClusterKeyFile}: {e.Message}");
                return null;
            }
        }
        else
        {
            text = s.ClusterKeyHex!;
        }
        ReadOnlySpan<char> hex = text.AsSpan().Trim();
        string where = hasFile ? fileKey : hexKey;
        if (hex.Length % 2 != 0 || !IsHex(hex))
        {
            problems.Add($"{where}: the key must be hex text (0-9, a-f), an even number of characters");
            return null;
        }
        if (hex.Length / 2 < MinKeyBytes)
        {
            problems.Add($"{where}: the key is {hex.Length / 2} bytes; at least {MinKeyBytes} are required (32 random bytes are recommended)");
            return null;
        }
        return Convert.FromHexString(hex);
    }

    private static bool IsHex(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary><c>ip:port</c>, <c>[ipv6]:port</c> or <c>hostname:port</c> (resolved now, IPv4 preferred).</summary>
    private static IPEndPoint? ParseEndPoint(string? text, string key, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            problems.Add($"{key}: empty; expected host:port");
            return null;
        }
        text = text.Trim();
        // An IPv6 address needs brackets ([::1]:7001); otherwise exactly one colon separates the port.
        bool bracketed = text.StartsWith('[');
        int colon = text.LastIndexOf(':');
        bool portGiven = bracketed ? text.Contains("]:", StringComparison.Ordinal) : colon > 0 && text.IndexOf(':') == colon;
        if (!portGiven || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > IPEndPoint.MaxPort)
        {
            problems.Add($"{key}: '{text}' is not host:port (an IPv6 address goes in brackets: [::1]:7001)");
            return null;
        }
        if (IPEndPoint.TryParse(text, out IPEndPoint? parsed))
        {
            return parsed;
        }
        string host = text[..colon];
        try
        {
            IPAddress[] addresses = Dns.GetHostAddresses(host);
            IPAddress? chosen = Array.Find(addresses, a => a.AddressFamily == AddressFamily.InterNetwork) ?? (addresses.Length > 0 ? addresses[0] : null);
            if (chosen is null)
            {
                problems.Add($"{key}: host '{host}' has no address");
                return null;
            }
            return new IPEndPoint(chosen, port);
        }
        catch (SocketException e)
        {
            problems.Add($"{key}: cannot resolve host '{host}': {e.Message}");
            return null;
        }
    }
}
