using System.Net;
using FastRaft.Hosting.Building;

namespace FastRaft.Transport.Udp;

/// <summary>Wires a <see cref="UdpTransport"/> into a <see cref="RaftNodeBuilder{TResult}"/>.</summary>
public static class UdpTransportBuilderExtensions
{
    /// <summary>Datagram size when every address is loopback (no path MTU to respect).</summary>
    public const int LoopbackDatagramSize = 60_000;

    /// <summary>Datagram size when any address is not loopback: under a typical path MTU, so datagrams are never fragmented.</summary>
    public const int NetworkDatagramSize = 1_400;

    /// <summary>
    /// Carries the node's Raft traffic over UDP, authenticated with <paramref name="clusterKey"/>
    /// (the same secret of at least 16 bytes on every node; 32 random bytes are recommended).
    /// </summary>
    /// <param name="builder">The node's builder.</param>
    /// <param name="listen">Where this node's socket binds.</param>
    /// <param name="peers">
    /// The members' addresses by node id; may list this node too (it is skipped), so every node
    /// can be given the same table. Every other initial member must be in it.
    /// </param>
    /// <param name="clusterKey">The cluster's shared secret (copied).</param>
    /// <remarks>
    /// Datagrams are <see cref="LoopbackDatagramSize"/> bytes when every address is loopback and
    /// <see cref="NetworkDatagramSize"/> otherwise; give every node the same addresses so they
    /// agree. For any other setting use the overload that takes the options.
    /// </remarks>
    public static RaftNodeBuilder<TResult> UseUdpTransport<TResult>(this RaftNodeBuilder<TResult> builder,
        IPEndPoint listen, IReadOnlyDictionary<ulong, IPEndPoint> peers, ReadOnlyMemory<byte> clusterKey)
        where TResult : struct
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(peers);
        byte[] key = TransportArguments.CopyClusterKey(clusterKey, "InsecureNoAuthentication = true");
        var table = new Dictionary<ulong, IPEndPoint>(peers);
        return builder.UseUdpTransport(context => Options(context, listen, table, key));
    }

    /// <summary>
    /// Carries the node's Raft traffic over UDP WITHOUT authentication: datagrams carry only a
    /// CRC-32C, so anyone who can send datagrams to the port can inject Raft messages and steer
    /// the cluster. Only for networks where every host is trusted, or tests; the transport warns
    /// when it starts. Addresses and datagram size as in the authenticated overload.
    /// </summary>
    public static RaftNodeBuilder<TResult> UseInsecureUdpTransport<TResult>(this RaftNodeBuilder<TResult> builder,
        IPEndPoint listen, IReadOnlyDictionary<ulong, IPEndPoint> peers)
        where TResult : struct
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(peers);
        var table = new Dictionary<ulong, IPEndPoint>(peers);
        return builder.UseUdpTransport(context => Options(context, listen, table, key: null));
    }

    /// <summary>
    /// Carries the node's Raft traffic over UDP with options of the caller's making: build them
    /// for <see cref="RaftTransportContext.NodeId"/> (as <see cref="UdpTransportOptions.LocalId"/>)
    /// and <see cref="RaftTransportContext.Time"/> (as <see cref="UdpTransportOptions.Time"/>).
    /// Every other initial member must be in <see cref="UdpTransportOptions.Peers"/> or found by
    /// its <see cref="UdpTransportOptions.AddressBook"/>.
    /// </summary>
    public static RaftNodeBuilder<TResult> UseUdpTransport<TResult>(this RaftNodeBuilder<TResult> builder, Func<RaftTransportContext, UdpTransportOptions> options)
        where TResult : struct
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.UseTransport(context =>
        {
            UdpTransportOptions built = TransportArguments.CheckBuiltOptions(context, options(context), static o => o.LocalId,
                static (o, member) => o.Peers.ContainsKey(member) || o.AddressBook?.Invoke(member) is not null, "UDP");
            return new UdpTransport(built);
        });
    }

    private static UdpTransportOptions Options(RaftTransportContext context, IPEndPoint listen, Dictionary<ulong, IPEndPoint> peers, byte[]? key)
    {
        bool loopback = IPAddress.IsLoopback(listen.Address);
        foreach (IPEndPoint endPoint in peers.Values)
        {
            loopback &= IPAddress.IsLoopback(endPoint.Address);
        }
        var options = new UdpTransportOptions
        {
            LocalId = context.NodeId,
            Bind = listen,
            ClusterKey = key,
            InsecureNoAuthentication = key is null,
            MaxDatagramSize = loopback ? LoopbackDatagramSize : NetworkDatagramSize,
            Time = context.Time,
            Logger = context.CreateLogger(UdpTransportOptions.LogCategory),
        };
        foreach ((ulong id, IPEndPoint endPoint) in TransportArguments.Others(peers, context.NodeId))
        {
            options.Peers[id] = endPoint;
        }
        return options;
    }
}
