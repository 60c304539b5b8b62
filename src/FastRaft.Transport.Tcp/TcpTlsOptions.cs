using System.Security.Cryptography.X509Certificates;

namespace FastRaft.Transport.Tcp;

/// <summary>
/// Mutual TLS for a <see cref="TcpTransport"/>: every connection, dialled or accepted, runs TLS 1.3
/// (or 1.2) with a certificate on both sides, each side checking the other's against this
/// node's own trust settings only (never the system's root store). A peer is trusted when its
/// certificate is valid now and every configured check holds: it chains to one of
/// <see cref="TrustedAuthorities"/> (when set), its SHA-256 thumbprint is one of
/// <see cref="PinnedThumbprints"/> (when set), and it is issued to <see cref="ExpectedPeerName"/>
/// (when set). Revocation is not checked (the cluster's own CA rotates certificates instead).
/// The certificates say that a peer belongs to the cluster; its node id is then exchanged inside
/// the TLS connection and checked against the membership (any cluster certificate may claim any
/// member id, as any holder of a cluster key may).
/// </summary>
public sealed class TcpTlsOptions
{
    /// <summary>This node's certificate, with its private key: presented to every peer, as server and as client.</summary>
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>
    /// The certificate authorities whose certificates (directly or through intermediates the peer
    /// sends) make a peer trusted: the chain is built against these alone. Null: no chain is
    /// required (then <see cref="PinnedThumbprints"/> must be set).
    /// </summary>
    public X509Certificate2Collection? TrustedAuthorities { get; init; }

    /// <summary>
    /// SHA-256 thumbprints (hex, case and separators ignored; see
    /// <c>X509Certificate2.GetCertHashString(HashAlgorithmName.SHA256)</c>) of the certificates peers
    /// may present. Null: any certificate that chains to <see cref="TrustedAuthorities"/>.
    /// </summary>
    public IReadOnlyCollection<string>? PinnedThumbprints { get; init; }

    /// <summary>
    /// The name every peer certificate must be issued to (a DNS name of its subject alternative
    /// names, or its common name), e.g. one name shared by the cluster's nodes. Null: not checked.
    /// </summary>
    public string? ExpectedPeerName { get; init; }

    internal void Validate()
    {
        if (Certificate is null || !Certificate.HasPrivateKey)
        {
            throw new ArgumentException("Tls.Certificate must be this node's certificate with its private key", nameof(Certificate));
        }
        bool authorities = TrustedAuthorities is { Count: > 0 };
        bool pins = PinnedThumbprints is { Count: > 0 };
        if (!authorities && !pins)
        {
            throw new ArgumentException(
                "Tls trusts no peer: set TrustedAuthorities (the cluster's CA certificate) and/or PinnedThumbprints (the peers' SHA-256 certificate thumbprints)",
                nameof(TrustedAuthorities));
        }
        if (PinnedThumbprints is not null)
        {
            foreach (string pin in PinnedThumbprints)
            {
                if (NormalizeThumbprint(pin) is null)
                {
                    throw new ArgumentException($"Tls.PinnedThumbprints: '{pin}' is not a SHA-256 thumbprint (64 hex digits)", nameof(PinnedThumbprints));
                }
            }
        }
    }

    /// <summary>Upper-case hex without separators, or null when it is not 32 bytes of hex.</summary>
    internal static string? NormalizeThumbprint(string? thumbprint)
    {
        if (thumbprint is null)
        {
            return null;
        }
        Span<char> digits = stackalloc char[64];
        int n = 0;
        foreach (char c in thumbprint)
        {
            if (c is ':' or ' ' or '-')
            {
                continue;
            }
            if (!char.IsAsciiHexDigit(c) || n == digits.Length)
            {
                return null;
            }
            digits[n++] = char.ToUpperInvariant(c);
        }
        return n == digits.Length ? new string(digits) : null;
    }
}
