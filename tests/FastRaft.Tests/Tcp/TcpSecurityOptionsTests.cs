using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Tcp.Security;

namespace FastRaft.Tests.Tcp;

/// <summary>How a transport's security is chosen (exactly one way, named), and how a peer certificate is judged.</summary>
public class TcpSecurityOptionsTests
{
    private static readonly X509Certificate2 Ca = TestCertificates.Authority("fastraft options ca");
    private static readonly X509Certificate2 Stranger = TestCertificates.Authority("fastraft options stranger");

    private static TcpTransportOptions Options(byte[]? key = null, TcpTlsOptions? tls = null, bool insecure = false) => new()
    {
        LocalId = 1,
        ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        Peers = new Dictionary<ulong, IPEndPoint> { [2] = new IPEndPoint(IPAddress.Loopback, 9) },
        ClusterKey = key,
        Tls = tls,
        InsecureNoAuthentication = insecure,
    };

    private static TcpTlsOptions Tls() => new() { Certificate = TestCertificates.Node(Ca, "node1"), TrustedAuthorities = [Ca] };

    [Fact]
    public void A_message_bound_too_small_for_a_snapshot_piece_is_refused()
    {
        static TcpTransportOptions Bounded(int bytes) => new()
        {
            LocalId = 1,
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Peers = new Dictionary<ulong, IPEndPoint> { [2] = new IPEndPoint(IPAddress.Loopback, 9) },
            ClusterKey = RandomNumberGenerator.GetBytes(32),
            MaxMessageBytes = bytes,
        };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TcpTransport(Bounded(32 * 1024)));
        Assert.Equal(nameof(TcpTransportOptions.MaxMessageBytes), e.ParamName);
        using var fits = new TcpTransport(Bounded(65 * 1024));
    }

    [Fact]
    public void A_transport_without_any_security_is_refused_with_the_ways_to_secure_it()
    {
        var e = Assert.Throws<ArgumentException>(() => new TcpTransport(Options()));
        Assert.Contains("Tls", e.Message, StringComparison.Ordinal);
        Assert.Contains("ClusterKey", e.Message, StringComparison.Ordinal);
        Assert.Contains("InsecureNoAuthentication", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tls_and_a_cluster_key_together_are_refused_as_contradictory()
    {
        var e = Assert.Throws<ArgumentException>(() => new TcpTransport(Options(key: RandomNumberGenerator.GetBytes(32), tls: Tls())));
        Assert.Contains("ClusterKey and Tls are both set", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_insecure_opt_out_is_refused_together_with_a_key_or_tls()
    {
        var withKey = Assert.Throws<ArgumentException>(() => new TcpTransport(Options(key: RandomNumberGenerator.GetBytes(32), insecure: true)));
        Assert.Contains("InsecureNoAuthentication is set together with ClusterKey", withKey.Message, StringComparison.Ordinal);
        var withTls = Assert.Throws<ArgumentException>(() => new TcpTransport(Options(tls: Tls(), insecure: true)));
        Assert.Contains("InsecureNoAuthentication is set together with Tls", withTls.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_single_choice_builds_and_says_whether_it_authenticates()
    {
        using (var keyed = new TcpTransport(Options(key: RandomNumberGenerator.GetBytes(32))))
        {
            Assert.True(keyed.IsAuthenticated);
        }
        using (var tls = new TcpTransport(Options(tls: Tls())))
        {
            Assert.True(tls.IsAuthenticated);
        }
        using (var insecure = new TcpTransport(Options(insecure: true)))
        {
            Assert.False(insecure.IsAuthenticated);
        }
    }

    [Fact]
    public void Tls_needs_a_private_key_and_something_to_trust()
    {
        using X509Certificate2 publicOnly = X509CertificateLoader.LoadCertificate(TestCertificates.Node(Ca, "node1").RawData);
        var noKey = Assert.Throws<ArgumentException>(() => new TcpTransport(Options(tls: new TcpTlsOptions { Certificate = publicOnly, TrustedAuthorities = [Ca] })));
        Assert.Contains("private key", noKey.Message, StringComparison.Ordinal);
        var noTrust = Assert.Throws<ArgumentException>(() => new TcpTransport(Options(tls: new TcpTlsOptions { Certificate = TestCertificates.Node(Ca, "node1") })));
        Assert.Contains("trusts no peer", noTrust.Message, StringComparison.Ordinal);
        var badPin = Assert.Throws<ArgumentException>(() => new TcpTransport(Options(tls: new TcpTlsOptions { Certificate = TestCertificates.Node(Ca, "node1"), PinnedThumbprints = ["abc"] })));
        Assert.Contains("'abc' is not a SHA-256 thumbprint", badPin.Message, StringComparison.Ordinal);
    }

    private static TcpRefusalReason Judge(TcpTlsOptions tls, X509Certificate2? peer)
    {
        HashSet<string>? pins = tls.PinnedThumbprints?.Select(p => TcpTlsOptions.NormalizeThumbprint(p)!).ToHashSet();
        var validator = new PeerCertificateValidator(tls, pins);
        bool accepted = validator.Validate(new object(), peer, null, SslPolicyErrors.RemoteCertificateChainErrors);
        Assert.Equal(accepted, !validator.Refusal.IsRefused);
        return validator.Refusal.Reason;
    }

    [Fact]
    public void A_peer_certificate_is_judged_against_the_configured_authority_alone()
    {
        TcpTlsOptions tls = Tls();
        Assert.Equal(TcpRefusalReason.None, Judge(tls, TestCertificates.Node(Ca, "node2")));
        Assert.Equal(TcpRefusalReason.CertificateUntrusted, Judge(tls, TestCertificates.Node(Stranger, "node2")));
        Assert.Equal(TcpRefusalReason.CertificateUntrusted, Judge(tls, TestCertificates.SelfSigned("node2")));
        Assert.Equal(TcpRefusalReason.CertificateExpired, Judge(tls, TestCertificates.Expired(Ca, "node2")));
        Assert.Equal(TcpRefusalReason.CertificateMissing, Judge(tls, null));
    }

    [Fact]
    public void Pins_and_the_expected_name_narrow_who_is_trusted()
    {
        X509Certificate2 pinned = TestCertificates.Node(Ca, "raft.example");
        X509Certificate2 other = TestCertificates.Node(Ca, "raft.example");
        string pin = pinned.GetCertHashString(HashAlgorithmName.SHA256).ToLowerInvariant();

        var pinnedOnly = new TcpTlsOptions { Certificate = TestCertificates.Node(Ca, "node1"), PinnedThumbprints = [pin] };
        Assert.Equal(TcpRefusalReason.None, Judge(pinnedOnly, pinned));
        Assert.Equal(TcpRefusalReason.CertificateNotPinned, Judge(pinnedOnly, other));
        Assert.Equal(TcpRefusalReason.CertificateNotPinned, Judge(pinnedOnly, TestCertificates.SelfSigned("raft.example")));

        var authorityAndPin = new TcpTlsOptions { Certificate = TestCertificates.Node(Ca, "node1"), TrustedAuthorities = [Ca], PinnedThumbprints = [pin] };
        Assert.Equal(TcpRefusalReason.None, Judge(authorityAndPin, pinned));
        Assert.Equal(TcpRefusalReason.CertificateNotPinned, Judge(authorityAndPin, other));

        var named = new TcpTlsOptions { Certificate = TestCertificates.Node(Ca, "node1"), TrustedAuthorities = [Ca], ExpectedPeerName = "raft.example" };
        Assert.Equal(TcpRefusalReason.None, Judge(named, other));
        Assert.Equal(TcpRefusalReason.CertificateNameMismatch, Judge(named, TestCertificates.Node(Ca, "elsewhere.example")));
    }

    [Fact]
    public void A_pinned_certificate_that_expired_is_refused_as_expired()
    {
        X509Certificate2 expired = TestCertificates.Expired(Ca, "node2");
        var pinnedOnly = new TcpTlsOptions { Certificate = TestCertificates.Node(Ca, "node1"), PinnedThumbprints = [expired.GetCertHashString(HashAlgorithmName.SHA256)] };
        Assert.Equal(TcpRefusalReason.CertificateExpired, Judge(pinnedOnly, expired));
    }
}
