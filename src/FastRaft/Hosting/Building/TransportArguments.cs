using System.Net;

namespace FastRaft.Hosting.Building;

/// <summary>The argument handling the transports' <c>Use…Transport</c> builder methods share.</summary>
internal static class TransportArguments
{
    /// <summary>A copy of <paramref name="clusterKey"/>; an empty key is refused, saying what to use instead.</summary>
    /// <param name="clusterKey">The cluster's shared secret.</param>
    /// <param name="alternatives">The options to name for running without a key (e.g. "Tls or InsecureNoAuthentication = true").</param>
    public static byte[] CopyClusterKey(ReadOnlyMemory<byte> clusterKey, string alternatives)
    {
        if (clusterKey.IsEmpty)
        {
            throw new ArgumentException(
                $"the cluster key is empty: give every node the same secret of at least 16 bytes, or build the options with {alternatives} (trusted networks only)",
                nameof(clusterKey));
        }
        return clusterKey.ToArray();
    }

    /// <summary>The members' addresses without <paramref name="self"/> (every node may be given the same table).</summary>
    public static Dictionary<ulong, IPEndPoint> Others(IReadOnlyDictionary<ulong, IPEndPoint> peers, ulong self)
    {
        var others = new Dictionary<ulong, IPEndPoint>(peers.Count);
        foreach ((ulong id, IPEndPoint endPoint) in peers)
        {
            if (id != self)
            {
                others[id] = endPoint;
            }
        }
        return others;
    }
}
