using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastRaft.Hosting;
using FastRaft.Tests.Udp;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Tcp.Security;

namespace FastRaft.Tests.Tcp;

/// <summary>Three RaftNodes over the key-authenticated TCP transport on loopback (polled by their node threads).</summary>
public sealed class TcpRaftClusterTests : IDisposable
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly TcpTestCluster _cluster = new();

    private void StartCluster() => _cluster.Start(id => new TcpTransport(new TcpTransportOptions
    {
        LocalId = id,
        ListenEndPoint = _cluster.Addresses[id],
        Peers = _cluster.PeersOf(id),
        ClusterKey = _key,
    }));

    [Fact]
    public async Task Three_nodes_elect_and_replicate_over_authenticated_tcp()
    {
        StartCluster();
        await _cluster.ReplicateAsync(1_000, 1_000);
        Assert.All(_cluster.Nodes, n => Assert.True(n.Transport.Counters.Connects >= 2, $"{n.Transport.Counters.Connects} connects"));
        Assert.All(_cluster.Nodes, n => Assert.Equal(0, n.Transport.Counters.BadFrames));
    }

    [Fact]
    public async Task Outsiders_without_the_key_and_garbage_are_refused_while_the_cluster_keeps_serving()
    {
        StartCluster();
        RaftNode<long> leader = _cluster.Leader();
        TcpTransport target = _cluster.TransportOf(leader.Id);
        IPEndPoint address = _cluster.Addresses[leader.Id];

        // A dialer with the wrong key, claiming to be another member.
        ulong claimed = TcpTestCluster.Voters.First(v => v != leader.Id);
        using (var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await s.ConnectAsync(address);
            byte[] hello = new byte[HandshakeFormat.HelloSize];
            new DialerHandshake(RandomNumberGenerator.GetBytes(32), claimed, leader.Id).WriteHello(hello);
            await s.SendAsync(hello);
            byte[] challenge = new byte[HandshakeFormat.ChallengeSize];
            int got = 0;
            while (got < challenge.Length)
            {
                int n = await s.ReceiveAsync(challenge.AsMemory(got));
                Assert.True(n > 0, "the listener closed before its challenge");
                got += n;
            }
            byte[] proof = new byte[HandshakeFormat.ProofMessageSize];
            RandomNumberGenerator.Fill(proof);
            proof[0] = 0x46; proof[1] = 0x52; proof[2] = 0x54; proof[3] = 0x31;
            await s.SendAsync(proof);
        }
        // Garbage.
        using (var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await s.ConnectAsync(address);
            await s.SendAsync(RandomNumberGenerator.GetBytes(200));
        }
        Assert.True(Wait.Until(() => target.Counters.HandshakesRefused >= 2, TimeSpan.FromSeconds(10)), $"{target.Counters.HandshakesRefused} refused");

        await _cluster.ReplicateAsync(200, 200);
    }

    public void Dispose() => _cluster.Dispose();
}
