using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using FastRaft.Protocol;
using FastRaft.Tests.Udp;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Tcp.Security;
using Microsoft.Extensions.Logging;

namespace FastRaft.Tests.Tcp;

/// <summary>Mutual TLS: a cluster runs over it; peers whose certificate the cluster's CA did not sign (or that is expired, or missing) are refused and counted.</summary>
public sealed class TcpTlsTests
{
    private static readonly X509Certificate2 ClusterCa = TestCertificates.Authority("fastraft test cluster ca");
    private static readonly X509Certificate2 StrangerCa = TestCertificates.Authority("fastraft test stranger ca");

    private static TcpTlsOptions Tls(X509Certificate2 certificate, X509Certificate2 authority) => new()
    {
        Certificate = certificate,
        TrustedAuthorities = [authority],
    };

    private static TcpTransport Transport(ulong id, IPEndPoint listen, Dictionary<ulong, IPEndPoint> peers, TcpTlsOptions tls, ILogger? logger = null) => new(new TcpTransportOptions
    {
        LocalId = id,
        ListenEndPoint = listen,
        Peers = peers,
        Tls = tls,
        Logger = logger,
    });

    [Fact]
    public async Task Three_nodes_elect_and_replicate_over_mutual_tls_and_a_stranger_does_not_disturb_them()
    {
        using var cluster = new TcpTestCluster();
        cluster.Start(id => Transport(id, cluster.Addresses[id], cluster.PeersOf(id), Tls(TestCertificates.Node(ClusterCa, $"node{id}"), ClusterCa)));
        await cluster.ReplicateAsync(300, 300);

        ulong leader = cluster.Leader().Id;
        TcpTransport target = cluster.TransportOf(leader);
        ulong claimed = TcpTestCluster.Voters.First(v => v != leader);
        Assert.False(await RogueGetsAnIdReplyAsync(cluster.Addresses[leader], TestCertificates.Node(StrangerCa, $"node{claimed}"), claimed, leader));
        Assert.True(Wait.Until(() => target.Counters.Refused(TcpRefusalReason.CertificateUntrusted) == 1, TimeSpan.FromSeconds(10)));

        await cluster.ReplicateAsync(200, 500);
        Assert.All(cluster.Nodes, n =>
        {
            Assert.True(n.Transport.IsAuthenticated);
            Assert.True(n.Transport.Counters.Connects >= 2, $"{n.Transport.Counters.Connects} connects");
            Assert.Equal(0, n.Transport.Counters.BadFrames);
        });
    }

    public enum BadCertificate
    {
        FromAnotherCa,
        SelfSigned,
        Missing,
        Expired,
    }

    [Theory]
    [InlineData(BadCertificate.FromAnotherCa, TcpRefusalReason.CertificateUntrusted)]
    [InlineData(BadCertificate.SelfSigned, TcpRefusalReason.CertificateUntrusted)]
    [InlineData(BadCertificate.Missing, TcpRefusalReason.CertificateMissing)]
    [InlineData(BadCertificate.Expired, TcpRefusalReason.CertificateExpired)]
    public async Task A_dialler_with_an_unacceptable_certificate_is_refused_counted_and_closed_and_good_peers_still_get_through(BadCertificate kind, TcpRefusalReason expected)
    {
        IPEndPoint listenAt = TcpTestPeers.FreeLoopback();
        IPEndPoint goodAt = TcpTestPeers.FreeLoopback();
        var sink = new RecordingSink();
        var log = new ConcurrentLogger();
        using TcpTransport listener = Transport(1, listenAt, new() { [2] = goodAt }, Tls(TestCertificates.Node(ClusterCa, "node1"), ClusterCa), log);
        listener.StartPumped(sink);

        X509Certificate2? presented = kind switch
        {
            BadCertificate.FromAnotherCa => TestCertificates.Node(StrangerCa, "node2"),
            BadCertificate.SelfSigned => TestCertificates.SelfSigned("node2"),
            BadCertificate.Expired => TestCertificates.Expired(ClusterCa, "node2"),
            _ => null,
        };
        EndPoint? rogue = null;
        Assert.False(await RogueGetsAnIdReplyAsync(listenAt, presented, claimedId: 2, listenerId: 1, from: e => rogue = e));
        Assert.True(Wait.Until(() => listener.Counters.Refused(expected) == 1, TimeSpan.FromSeconds(10)), $"{listener.Counters.Refused(expected)} refused as {expected}");
        Assert.Equal(1, listener.Counters.HandshakesRefused);
        Assert.Equal(0, sink.Count);
        string warning = Assert.Single(log.Warnings());
        Assert.Contains($"from {rogue}", warning, StringComparison.Ordinal);
        Assert.Contains(TcpTransportMetrics.TagOf(expected), warning, StringComparison.Ordinal);

        using TcpTransport good = Transport(2, goodAt, new() { [1] = listenAt }, Tls(TestCertificates.Node(ClusterCa, "node2"), ClusterCa));
        good.StartPumped(new RecordingSink());
        Assert.True(TcpTestPeers.GetsMessageThrough(good, 1, sink), "a peer with a good certificate got nothing through");
        Assert.Equal(1, listener.Counters.HandshakesRefused);
    }

    [Fact]
    public void A_dialler_refuses_a_listener_whose_certificate_it_does_not_trust()
    {
        IPEndPoint nodeAt = TcpTestPeers.FreeLoopback();
        IPEndPoint rogueAt = TcpTestPeers.FreeLoopback();
        var rogueSink = new RecordingSink();
        using TcpTransport rogue = Transport(2, rogueAt, new() { [1] = nodeAt }, Tls(TestCertificates.Node(StrangerCa, "node2"), StrangerCa));
        rogue.StartPumped(rogueSink);
        using TcpTransport node = Transport(1, nodeAt, new() { [2] = rogueAt }, Tls(TestCertificates.Node(ClusterCa, "node1"), ClusterCa));
        node.Start(new RecordingSink());

        Assert.True(Wait.Until(() =>
        {
            node.Send(new Message(MessageType.Heartbeat, 1, 2, 1));
            node.Flush();
            return node.Counters.Refused(TcpRefusalReason.CertificateUntrusted) >= 1;
        }, TimeSpan.FromSeconds(15)), "the dialler did not refuse the stranger's certificate");
        Assert.True(node.Counters.DialFailures >= 1);
        Assert.Equal(0, node.Counters.Connects);
        Assert.Equal(0, rogueSink.Count);
    }

    /// <summary>
    /// Opens TLS to <paramref name="at"/> presenting <paramref name="certificate"/> (none when
    /// null) and sends an id hello; whether the listener answered it.
    /// </summary>
    private static async Task<bool> RogueGetsAnIdReplyAsync(IPEndPoint at, X509Certificate2? certificate, ulong claimedId, ulong listenerId, Action<EndPoint>? from = null)
    {
        using Socket socket = await TcpTestPeers.ConnectAsync(at);
        from?.Invoke(socket.LocalEndPoint!);
        using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "fastraft",
                ClientCertificateContext = certificate is null ? null : SslStreamCertificateContext.Create(certificate, null, offline: true),
                RemoteCertificateValidationCallback = static (_, _, _, _) => true,
                EnabledSslProtocols = SslProtocols.Tls13 | SslProtocols.Tls12,
            }).WaitAsync(TimeSpan.FromSeconds(10));
            byte[] hello = new byte[NodeIdExchange.HelloSize];
            NodeIdExchange.WriteHello(hello, claimedId, listenerId);
            await tls.WriteAsync(hello);
            byte[] reply = new byte[NodeIdExchange.ReplySize];
            return await tls.ReadAsync(reply).AsTask().WaitAsync(TimeSpan.FromSeconds(10)) > 0;
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            return false;
        }
    }
}
