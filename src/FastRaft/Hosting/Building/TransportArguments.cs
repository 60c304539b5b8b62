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

    /// <summary>
    /// Checks options a caller's callback built for <paramref name="context"/>'s node: present, for
    /// this node, and able to place every other initial member.
    /// </summary>
    /// <param name="context">The node the transport is built for.</param>
    /// <param name="options">What the callback returned.</param>
    /// <param name="localId">The options' node id (read only when <paramref name="options"/> is not null).</param>
    /// <param name="hasAddress">Whether the options know where a member is.</param>
    /// <param name="transport">The transport's name for messages ("UDP", "TCP").</param>
    public static T CheckBuiltOptions<T>(RaftTransportContext context, T? options, Func<T, ulong> localId, Func<T, ulong, bool> hasAddress, string transport)
        where T : class
    {
        T built = options ?? throw new InvalidOperationException($"node {context.NodeId}: the {transport} options callback returned null");
        ulong id = localId(built);
        if (id != context.NodeId)
        {
            throw new ArgumentException($"node {context.NodeId}: the {transport} options are for node {id}; set LocalId = context.NodeId");
        }
        context.RequireAddressesOfInitialMembers(member => hasAddress(built, member), "peers");
        return built;
    }
}
