using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FastRaft.Transport.Tcp.Security;

/// <summary>
/// Checks the certificate a peer presents in the TLS handshake against <see cref="TcpTlsOptions"/>
/// alone (the system's trust store and the host name SslStream compares are ignored), and keeps
/// why it refused, for the counters and the log. One per TLS handshake.
/// </summary>
internal sealed class PeerCertificateValidator(TcpTlsOptions tls, IReadOnlySet<string>? pins)
{
    public Refusal Refusal { get; private set; }

    /// <summary>The <see cref="RemoteCertificateValidationCallback"/> of the handshake.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        Refusal = Check(certificate, presented);
        return !Refusal.IsRefused;
    }

    private Refusal Check(X509Certificate? certificate, X509Chain? presented)
    {
        if (certificate is null)
        {
            return new(TcpRefusalReason.CertificateMissing, "the peer presented no certificate");
        }
        X509Certificate2 peer = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (tls.TrustedAuthorities is { Count: > 0 } authorities)
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true;
            if (presented is not null)
            {
                // The intermediates the peer sent (never trusted by themselves: only the custom roots are).
                chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
            }
            if (!chain.Build(peer))
            {
                X509ChainStatusFlags flags = X509ChainStatusFlags.NoError;
                foreach (X509ChainStatus status in chain.ChainStatus)
                {
                    flags |= status.Status;
                }
                return (flags & X509ChainStatusFlags.NotTimeValid) != 0
                    ? Expired(peer)
                    : new(TcpRefusalReason.CertificateUntrusted, $"certificate '{peer.Subject}' issued by '{peer.Issuer}' does not chain to a trusted authority ({flags})");
            }
        }
        else
        {
            // Calendar time against the certificate's dates, as the chain check above uses: not
            // TcpTransportOptions.Time, whose test or simulation clock drives timeouts and must
            // not make a real certificate look expired or not yet valid.
            DateTime now = DateTime.Now;
            if (now < peer.NotBefore || now > peer.NotAfter)
            {
                return Expired(peer);
            }
        }
        if (pins is not null && !pins.Contains(peer.GetCertHashString(HashAlgorithmName.SHA256)))
        {
            return new(TcpRefusalReason.CertificateNotPinned, $"certificate '{peer.Subject}' (SHA-256 {peer.GetCertHashString(HashAlgorithmName.SHA256)}) is not pinned");
        }
        if (tls.ExpectedPeerName is string name && !peer.MatchesHostname(name, allowWildcards: true, allowCommonName: true))
        {
            return new(TcpRefusalReason.CertificateNameMismatch, $"certificate '{peer.Subject}' is not issued to '{name}'");
        }
        return Refusal.None;
    }

    private static Refusal Expired(X509Certificate2 peer) =>
        new(TcpRefusalReason.CertificateExpired, $"certificate '{peer.Subject}' (or its chain) is not valid now: valid from {peer.NotBefore:u} to {peer.NotAfter:u}");
}
