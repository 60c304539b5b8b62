using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastRaft.Protocol;
using FastRaft.Tests.Udp;
using FastRaft.Transport.Tcp;
using Microsoft.Extensions.Logging;

namespace FastRaft.Tests.Tcp;

/// <summary>The explicitly named insecure mode: it works, it says so, and it never mixes with a secure node.</summary>
public sealed class TcpInsecureTests
{
    private static readonly X509Certificate2 Ca = TestCertificates.Authority("fastraft insecure-test ca");

    public enum Mode
    {
        Key,
        Tls,
        Insecure,
    }

    private static TcpTransportOptions Options(Mode mode, ulong id, IPEndPoint listen, IReadOnlyDictionary<ulong, IPEndPoint> peers, byte[] key, ILogger? logger = null) => new()
    {
        LocalId = id,
        ListenEndPoint = listen,
        Peers = peers,
        ClusterKey = mode == Mode.Key ? key : null,
        Tls = mode == Mode.Tls ? new TcpTlsOptions { Certificate = TestCertificates.Node(Ca, $"node{id}"), TrustedAuthorities = [Ca] } : null,
        InsecureNoAuthentication = mode == Mode.Insecure,
        Logger = logger,
    };

    [Fact]
    public async Task A_cluster_runs_without_authentication_when_asked_by_name_and_each_node_warns_once()
    {
        var sinks = new Dictionary<ulong, ConcurrentLogger>();
        using var cluster = new TcpTestCluster();
        cluster.Start(id =>
        {
            sinks[id] = new ConcurrentLogger(LogLevel.Warning);
            return new TcpTransport(Options(Mode.Insecure, id, cluster.Addresses[id], cluster.PeersOf(id), [], sinks[id]));
        });
        await cluster.ReplicateAsync(300, 300);
        Assert.All(cluster.Nodes, n =>
        {
            Assert.False(n.Transport.IsAuthenticated);
            Assert.Equal(0, n.Transport.Counters.BadFrames);
            Assert.Equal(0, n.Transport.Counters.HandshakesRefused);
        });
        foreach (ConcurrentLogger sink in sinks.Values)
        {
            List<string> warnings = sink.Warnings();
            Assert.Single(warnings, w => w.Contains("WITHOUT AUTHENTICATION", StringComparison.Ordinal) && w.Contains("InsecureNoAuthentication", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData(Mode.Key, Mode.Insecure)]
    [InlineData(Mode.Tls, Mode.Insecure)]
    [InlineData(Mode.Tls, Mode.Key)]
    public void Nodes_of_different_security_modes_refuse_each_other_and_count_it(Mode first, Mode second)
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        IPEndPoint aAt = TcpTestPeers.FreeLoopback();
        IPEndPoint bAt = TcpTestPeers.FreeLoopback();
        var aSink = new RecordingSink();
        var bSink = new RecordingSink();
        using var a = new TcpTransport(Options(first, 1, aAt, new Dictionary<ulong, IPEndPoint> { [2] = bAt }, key));
        using var b = new TcpTransport(Options(second, 2, bAt, new Dictionary<ulong, IPEndPoint> { [1] = aAt }, key));
        a.StartPumped(aSink);
        b.StartPumped(bSink);
        Assert.True(Wait.Until(() =>
        {
            a.Send(new Message(MessageType.Heartbeat, 1, 2, 1));
            a.Flush();
            b.Send(new Message(MessageType.Heartbeat, 2, 1, 1));
            b.Flush();
            return a.Counters.Refused(TcpRefusalReason.SecurityMismatch) >= 1 && b.Counters.Refused(TcpRefusalReason.SecurityMismatch) >= 1;
        }, TimeSpan.FromSeconds(15)), $"mismatches refused: {a.Counters.Refused(TcpRefusalReason.SecurityMismatch)} by node 1, {b.Counters.Refused(TcpRefusalReason.SecurityMismatch)} by node 2");
        Assert.Equal(0, aSink.Count);
        Assert.Equal(0, bSink.Count);
        Assert.Equal(0, a.Counters.Connects);
        Assert.Equal(0, b.Counters.Connects);
    }
}
