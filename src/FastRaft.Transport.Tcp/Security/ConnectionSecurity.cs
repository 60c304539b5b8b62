namespace FastRaft.Transport.Tcp.Security;

/// <summary>Why a connection is refused or closed (with a detail for the log); <see cref="None"/>: it is not.</summary>
internal readonly record struct Refusal(TcpRefusalReason Reason, string? Detail)
{
    public static Refusal None => default;

    public bool IsRefused => Reason != TcpRefusalReason.None;

    public static Refusal From(HandshakeFailure failure) => failure switch
    {
        HandshakeFailure.None => None,
        HandshakeFailure.NotAHandshake => new(TcpRefusalReason.NotAHandshake, "the bytes are not a FastRaft handshake, or the stream ended inside it"),
        HandshakeFailure.UnsupportedVersion => new(TcpRefusalReason.UnsupportedVersion, "a handshake of another protocol version"),
        HandshakeFailure.WrongListener => new(TcpRefusalReason.WrongListener, "the dialer expected another node at this address"),
        HandshakeFailure.UnexpectedPeer => new(TcpRefusalReason.UnexpectedPeer, "the peer's node id is not the one expected or not a member"),
        HandshakeFailure.BadProof => new(TcpRefusalReason.BadProof, "the peer's proof is wrong: it does not hold the cluster key"),
        HandshakeFailure.SecurityMismatch => new(TcpRefusalReason.SecurityMismatch, "the peer runs another security mode (TLS, cluster key or none)"),
        _ => new(TcpRefusalReason.NotAHandshake, failure.ToString()),
    };
}

/// <summary>
/// How the transport secures a connection once TCP is connected: the key handshake, mutual TLS
/// plus an id exchange, or the plain hello without authentication. On success the connection
/// holds the peer's id and a message channel. The caller bounds each call with a deadline token
/// and cleans the connection up whatever happens (an exception means the connection broke or the
/// deadline passed). Cold path: once per connection.
/// </summary>
internal abstract class ConnectionSecurity
{
    /// <summary>False only for the explicitly insecure mode.</summary>
    public abstract bool IsAuthenticated { get; }

    /// <summary>Secures a dialled connection to <paramref name="listenerId"/>.</summary>
    public abstract ValueTask<Refusal> DialAsync(SecuredConnection connection, ulong listenerId, CancellationToken cancellationToken);

    /// <summary>Secures an accepted connection from one of the members.</summary>
    public abstract ValueTask<Refusal> AcceptAsync(SecuredConnection connection, CancellationToken cancellationToken);

    public static ConnectionSecurity For(TcpTransportOptions options, IReadOnlySet<ulong> members)
    {
        if (options.Tls is TcpTlsOptions tls)
        {
            return new TlsConnectionSecurity(tls, options, members);
        }
        if (options.ClusterKey is byte[] key)
        {
            return new KeyedConnectionSecurity(key, options, members);
        }
        return new InsecureConnectionSecurity(options, members);
    }
}
