using System.Net;
using FastRaft.Hosting.Building;

namespace FastRaft.Transport.Tcp;

/// <summary>Wires a <see cref="TcpTransport"/> into a <see cref="RaftNodeBuilder{TResult}"/>.</summary>
public static class TcpTransportBuilderExtensions
{
    /// <summary>
    /// Carries the node's Raft traffic over TCP, each connection authenticated with
    /// <paramref name="clusterKey"/> (the same secret of at least 16 bytes on every node; 32
    /// random bytes are recommended).
    /// </summary>
    /// <param name="builder">The node's builder.</param>
    /// <param name="listen">Where this node accepts its peers' connections (a fixed port: the peers know it).</param>
    /// <param name="peers">
    /// The members' listening addresses by node id; may list this node too (it is skipped), so
    /// every node can be given the same table. Every other initial member must be in it.
    /// </param>
    /// <param name="clusterKey">The cluster's shared secret (copied).</param>
    /// <remarks>For TLS or any other setting use the overload that takes the options.</remarks>
    public static RaftNodeBuilder<TResult> UseTcpTransport<TResult>(this RaftNodeBuilder<TResult> builder,
        IPEndPoint listen, IReadOnlyDictionary<ulong, IPEndPoint> peers, ReadOnlyMemory<byte> clusterKey)
        where TResult : struct
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(peers);
        byte[] key = TransportArguments.CopyClusterKey(clusterKey, "Tls or InsecureNoAuthentication = true");
        var table = new Dictionary<ulong, IPEndPoint>(peers);
        return builder.UseTcpTransport(context => new TcpTransportOptions
        {
            LocalId = context.NodeId,
            ListenEndPoint = listen,
            Peers = TransportArguments.Others(table, context.NodeId),
            ClusterKey = key,
            Time = context.Time,
            Logger = context.CreateLogger(TcpTransportOptions.LogCategory),
        });
    }

    /// <summary>
    /// Carries the node's Raft traffic over TCP WITHOUT authentication: connections open with a
    /// plain hello and frames carry only a CRC-32C, so anyone who can reach the port can inject
    /// Raft messages and steer the cluster. Only for networks where every host is trusted, or
    /// tests; the transport warns when it starts. Addresses as in the authenticated overload.
    /// </summary>
    public static RaftNodeBuilder<TResult> UseInsecureTcpTransport<TResult>(this RaftNodeBuilder<TResult> builder,
        IPEndPoint listen, IReadOnlyDictionary<ulong, IPEndPoint> peers)
        where TResult : struct
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(peers);
        var table = new Dictionary<ulong, IPEndPoint>(peers);
        return builder.UseTcpTransport(context => new TcpTransportOptions
        {
            LocalId = context.NodeId,
            ListenEndPoint = listen,
            Peers = TransportArguments.Others(table, context.NodeId),
            InsecureNoAuthentication = true,
            Time = context.Time,
            Logger = context.CreateLogger(TcpTransportOptions.LogCategory),
        });
    }

    /// <summary>
    /// Carries the node's Raft traffic over TCP with options of the caller's making: build them
    /// for <see cref="RaftTransportContext.NodeId"/> (as <see cref="TcpTransportOptions.LocalId"/>)
    /// and <see cref="RaftTransportContext.Time"/> (as <see cref="TcpTransportOptions.Time"/>).
    /// Every other initial member must be in <see cref="TcpTransportOptions.Peers"/> or found by
    /// its <see cref="TcpTransportOptions.AddressBook"/>.
    /// </summary>
    public static RaftNodeBuilder<TResult> UseTcpTransport<TResult>(this RaftNodeBuilder<TResult> builder, Func<RaftTransportContext, TcpTransportOptions> options)
        where TResult : struct
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.UseTransport(context =>
        {
            TcpTransportOptions built = TransportArguments.CheckBuiltOptions(context, options(context), static o => o.LocalId,
                static (o, member) => o.Peers.ContainsKey(member) || o.AddressBook?.Invoke(member) is not null, "TCP");
            return new TcpTransport(built);
        });
    }
}
