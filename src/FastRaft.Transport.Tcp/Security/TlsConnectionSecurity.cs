using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace FastRaft.Transport.Tcp.Security;

/// <summary>
/// Mutual TLS secures connections (<see cref="TcpTlsOptions"/>): both sides present and check
/// certificates, then exchange node ids inside TLS (<see cref="NodeIdExchange"/>); frames carry no
/// trailer since TLS authenticates every byte.
/// </summary>
internal sealed class TlsConnectionSecurity : ConnectionSecurity
{
    private const SslProtocols Protocols = SslProtocols.Tls13 | SslProtocols.Tls12;

    // The name a dialer asks for (SNI) when no peer name is configured; never checked against the
    // system's idea of the host, since the validator decides.
    private const string DefaultTargetHost = "fastraft";

    private readonly TcpTlsOptions _tls;
    private readonly TcpTransportOptions _options;
    private readonly IReadOnlySet<ulong> _members;
    private readonly SslStreamCertificateContext _certificate;
    private readonly HashSet<string>? _pins;

    public TlsConnectionSecurity(TcpTlsOptions tls, TcpTransportOptions options, IReadOnlySet<ulong> members)
    {
        _tls = tls;
        _options = options;
        _members = members;
        _certificate = SslStreamCertificateContext.Create(tls.Certificate, additionalCertificates: null, offline: true);
        if (tls.PinnedThumbprints is { Count: > 0 } pins)
        {
            _pins = [];
            foreach (string pin in pins)
            {
                _pins.Add(TcpTlsOptions.NormalizeThumbprint(pin)!);
            }
        }
    }

    public override bool IsAuthenticated => true;

    public override async ValueTask<Refusal> DialAsync(SecuredConnection connection, ulong listenerId, CancellationToken cancellationToken)
    {
        var validator = new PeerCertificateValidator(_tls, _pins);
        var tls = new SslStream(connection.OpenNetworkStream(_options.SendBufferBytes), leaveInnerStreamOpen: false);
        connection.AttachPipes(tls);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = _tls.ExpectedPeerName ?? DefaultTargetHost,
                ClientCertificateContext = _certificate,
                EnabledSslProtocols = Protocols,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = validator.Validate,
                AllowRenegotiation = false,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            return validator.Refusal.IsRefused ? validator.Refusal : new(TcpRefusalReason.TlsHandshakeFailed, e.Message);
        }
        HandshakeFailure failure = await NodeIdExchange.DialAsync(connection.Input!, connection.Output!, _options.LocalId, listenerId, cancellationToken).ConfigureAwait(false);
        if (failure != HandshakeFailure.None)
        {
            return Refusal.From(failure);
        }
        connection.PeerId = listenerId;
        connection.Channel = AuthenticatedFrameChannel.OverTls(connection.Input!, connection.Output!, _options.MaxMessageBytes);
        return Refusal.None;
    }

    public override async ValueTask<Refusal> AcceptAsync(SecuredConnection connection, CancellationToken cancellationToken)
    {
        // The first byte tells a TLS ClientHello from the plain handshakes ("FRT1", "FRN1") of a
        // peer configured without TLS, which is refused as such rather than as broken TLS.
        byte[] first = new byte[1];
        int read = await connection.Socket.ReceiveAsync(first, SocketFlags.Peek, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return new(TcpRefusalReason.NotAHandshake, "the connection closed before its handshake");
        }
        if (first[0] == (byte)'F')
        {
            return new(TcpRefusalReason.SecurityMismatch, "the peer opened the cluster-key or insecure handshake, and this node requires TLS");
        }
        if (first[0] != HandshakeFormat.TlsHandshakeRecord)
        {
            return new(TcpRefusalReason.NotAHandshake, "the bytes are not a TLS handshake");
        }
        var validator = new PeerCertificateValidator(_tls, _pins);
        var tls = new SslStream(connection.OpenNetworkStream(_options.SendBufferBytes), leaveInnerStreamOpen: false);
        connection.AttachPipes(tls);
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = _certificate,
                ClientCertificateRequired = true,
                EnabledSslProtocols = Protocols,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = validator.Validate,
                AllowRenegotiation = false,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            return validator.Refusal.IsRefused ? validator.Refusal : new(TcpRefusalReason.TlsHandshakeFailed, e.Message);
        }
        (HandshakeFailure failure, ulong dialer) = await NodeIdExchange.AcceptAsync(connection.Input!, connection.Output!, _options.LocalId, _members, cancellationToken).ConfigureAwait(false);
        if (failure != HandshakeFailure.None)
        {
            return Refusal.From(failure);
        }
        connection.PeerId = dialer;
        connection.Channel = AuthenticatedFrameChannel.OverTls(connection.Input!, connection.Output!, _options.MaxMessageBytes);
        return Refusal.None;
    }
}
