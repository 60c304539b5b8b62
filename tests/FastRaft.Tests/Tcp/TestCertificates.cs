using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FastRaft.Tests.Tcp;

/// <summary>Certificates made in memory for the TLS tests: a cluster CA, node certificates it signs, strangers.</summary>
internal static class TestCertificates
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>A CA certificate with its key, valid from ten days ago for a year.</summary>
    public static X509Certificate2 Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-10), now.AddYears(1));
    }

    /// <summary>A node certificate signed by <paramref name="authority"/>, valid now unless other dates are given.</summary>
    public static X509Certificate2 Node(X509Certificate2 authority, string name, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CertificateRequest request = NodeRequest(name, key);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 signed = request.Create(authority, notBefore ?? now.AddDays(-1), notAfter ?? now.AddDays(30), RandomNumberGenerator.GetBytes(16));
        return signed.CopyWithPrivateKey(key);
    }

    /// <summary>A self-signed node certificate (no CA vouches for it).</summary>
    public static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        return NodeRequest(name, key).CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
    }

    /// <summary>A node certificate whose validity ended yesterday.</summary>
    public static X509Certificate2 Expired(X509Certificate2 authority, string name)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        return Node(authority, name, now.AddDays(-5), now.AddDays(-1));
    }

    private static CertificateRequest NodeRequest(string name, ECDsa key)
    {
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth, ClientAuth], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request;
    }
}
