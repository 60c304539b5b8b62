using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FastRaft.Sample.Cli;

/// <summary>One node's addresses as given on the command line: <c>id=host:raftPort[/clientPort]</c>.</summary>
/// <param name="Id">The node id (positive).</param>
/// <param name="Raft">The Raft (UDP) address.</param>
/// <param name="Client">The client-protocol (UDP) address: the same host, port <c>clientPort</c> or Raft port + 1000.</param>
internal sealed record PeerAddress(ulong Id, IPEndPoint Raft, IPEndPoint Client)
{
    /// <summary>The client port is the Raft port plus this, unless given.</summary>
    public const int DefaultClientPortOffset = 1000;

    /// <summary>Parses a comma-separated list such as <c>1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003</c>.</summary>
    public static bool TryParseList(string text, out List<PeerAddress> peers, out string? error)
    {
        peers = [];
        error = null;
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TryParse(part, out PeerAddress? peer, out error))
            {
                return false;
            }
            if (peers.Exists(p => p.Id == peer.Id))
            {
                error = $"node {peer.Id} is listed twice";
                return false;
            }
            peers.Add(peer);
        }
        if (peers.Count == 0)
        {
            error = "no peers given";
            return false;
        }
        return TryCheckDistinct(peers, out error);
    }

    /// <summary>
    /// Checks that <paramref name="peers"/> can run side by side: one address family, and every
    /// address distinct (no two nodes on the same Raft or client address, no node's Raft address
    /// another's client address, no node with one address for both).
    /// </summary>
    public static bool TryCheckDistinct(IReadOnlyList<PeerAddress> peers, out string? error)
    {
        ArgumentNullException.ThrowIfNull(peers);
        error = null;
        var seen = new Dictionary<IPEndPoint, (ulong Id, string Role)>();
        foreach (PeerAddress p in peers)
        {
            if (p.Raft.AddressFamily != peers[0].Raft.AddressFamily)
            {
                error = $"node {p.Id} is on {p.Raft.Address} and node {peers[0].Id} on {peers[0].Raft.Address}: a cluster uses IPv4 or IPv6, not both";
                return false;
            }
            if (p.Raft.Equals(p.Client))
            {
                error = $"node {p.Id} has {p.Raft} as both its Raft and its client address";
                return false;
            }
            foreach ((IPEndPoint endPoint, string role) in (ReadOnlySpan<(IPEndPoint, string)>)[(p.Raft, "Raft"), (p.Client, "client")])
            {
                if (seen.TryGetValue(endPoint, out (ulong Id, string Role) other))
                {
                    error = other.Role == role
                        ? $"nodes {other.Id} and {p.Id} have the same {role} address {endPoint}"
                        : $"{endPoint} is node {other.Id}'s {other.Role} address and node {p.Id}'s {role} address";
                    return false;
                }
                seen[endPoint] = (p.Id, role);
            }
        }
        return true;
    }

    /// <summary>Parses one <c>id=host:raftPort[/clientPort]</c> (a host name is resolved here, preferring IPv4).</summary>
    public static bool TryParse(string text, out PeerAddress peer, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        peer = null!;
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || !ulong.TryParse(text.AsSpan(0, eq), NumberStyles.None, CultureInfo.InvariantCulture, out ulong id) || id == 0)
        {
            error = $"'{text}': expected id=host:port with a positive id";
            return false;
        }
        string address = text[(eq + 1)..];
        int? clientPort = null;
        int slash = address.LastIndexOf('/');
        if (slash >= 0)
        {
            if (!int.TryParse(address.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int cp) || cp is < 1 or > IPEndPoint.MaxPort)
            {
                error = $"'{text}': bad client port";
                return false;
            }
            clientPort = cp;
            address = address[..slash];
        }
        if (!TryParseEndPoint(address, out IPEndPoint? raft) || raft.Port == 0)
        {
            error = $"'{text}': expected host:port (e.g. 127.0.0.1:7001)";
            return false;
        }
        if (raft.Address.Equals(IPAddress.Any) || raft.Address.Equals(IPAddress.IPv6Any))
        {
            error = $"'{text}': {raft.Address} is not an address others can send to; give the node's own address";
            return false;
        }
        int client = clientPort ?? raft.Port + DefaultClientPortOffset;
        if (client > IPEndPoint.MaxPort)
        {
            error = $"'{text}': the default client port ({client}) is out of range; give one as host:port/clientPort";
            return false;
        }
        peer = new PeerAddress(id, raft, new IPEndPoint(raft.Address, client));
        error = null;
        return true;
    }

    private static bool TryParseEndPoint(string text, out IPEndPoint endPoint)
    {
        if (IPEndPoint.TryParse(text, out IPEndPoint? parsed) && text.Contains(':', StringComparison.Ordinal))
        {
            endPoint = parsed;
            return true;
        }
        endPoint = null!;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > IPEndPoint.MaxPort)
        {
            return false;
        }
        try
        {
            IPAddress[] addresses = Dns.GetHostAddresses(text[..colon]);
            IPAddress? address = Array.Find(addresses, a => a.AddressFamily == AddressFamily.InterNetwork) ?? (addresses.Length > 0 ? addresses[0] : null);
            if (address is null)
            {
                return false;
            }
            endPoint = new IPEndPoint(address, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
