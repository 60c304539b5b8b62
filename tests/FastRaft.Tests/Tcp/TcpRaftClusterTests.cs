using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Idle;
using FastRaft.Storage;
using FastRaft.Tests.Udp;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Tcp.Security;

namespace FastRaft.Tests.Tcp;

/// <summary>Three RaftNodes over the TCP transport on loopback.</summary>
public sealed class TcpRaftClusterTests : IDisposable
{
    private static readonly ulong[] Voters = [1, 2, 3];
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly Dictionary<ulong, IPEndPoint> _addresses = [];
    private readonly List<(RaftNode<long> Node, TcpTransport Transport, PayloadLog Log)> _nodes = [];

    public TcpRaftClusterTests()
    {
        foreach (ulong id in Voters)
        {
            _addresses[id] = new IPEndPoint(IPAddress.Loopback, FreePort());
        }
    }

    private static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    private void StartCluster()
    {
        foreach (ulong id in Voters)
        {
            var transport = new TcpTransport(new TcpTransportOptions
            {
                LocalId = id,
                ListenEndPoint = _addresses[id],
                Peers = _addresses.Where(kv => kv.Key != id).ToDictionary(kv => kv.Key, kv => kv.Value),
                ClusterKey = _key,
            });
            var log = new PayloadLog();
            var node = new RaftNode<long>(new RaftNodeOptions
            {
                Raft = new RaftConfig { Id = id, ElectionTick = 20, HeartbeatTick = 2, PreVote = true, CheckQuorum = true, Random = new Random((int)id) },
                TickInterval = TimeSpan.FromMilliseconds(10),
                InitialMembers = Voters,
                IdleStrategy = static () => new ParkingIdleStrategy(),
            }, new MemoryStorage(), transport, log);
            _nodes.Add((node, transport, log));
            node.Start();
        }
    }

    private RaftNode<long> Leader()
    {
        Assert.True(Wait.Until(() => _nodes.Any(n => n.Node.IsLeader), TimeSpan.FromSeconds(15)), "no leader elected over TCP");
        return _nodes.First(n => n.Node.IsLeader).Node;
    }

    private async Task ProposeAsync(RaftNode<long> leader, int count)
    {
        var pending = new List<Task<ProposeResult<long>>>();
        for (int i = 0; i < count; i++)
        {
            pending.Add(leader.ProposeAsync(BitConverter.GetBytes((long)i)).AsTask());
        }
        foreach (Task<ProposeResult<long>> t in pending)
        {
            ProposeResult<long> r = await t.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(RequestStatus.Ok, r.Status);
        }
    }

    [Fact]
    public async Task Three_nodes_elect_and_replicate_over_authenticated_tcp()
    {
        StartCluster();
        RaftNode<long> leader = Leader();
        await ProposeAsync(leader, 1_000);
        Assert.True(Wait.Until(() => _nodes.All(n => n.Log.Count >= 1_000), TimeSpan.FromSeconds(20)),
            string.Join(", ", _nodes.Select(n => $"{n.Node.Id}: {n.Log.Count}")));
        Assert.All(_nodes, n => Assert.True(n.Transport.Counters.Connects >= 2, $"{n.Transport.Counters.Connects} connects"));
        Assert.All(_nodes, n => Assert.Equal(0, n.Transport.Counters.BadFrames));
    }

    [Fact]
    public async Task Outsiders_without_the_key_and_garbage_are_refused_while_the_cluster_keeps_serving()
    {
        StartCluster();
        RaftNode<long> leader = Leader();
        TcpTransport target = _nodes.First(n => n.Node == leader).Transport;
        IPEndPoint address = _addresses[leader.Id];

        // A dialer with the wrong key, claiming to be another member.
        ulong claimed = Voters.First(v => v != leader.Id);
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

        await ProposeAsync(leader, 200);
        Assert.True(Wait.Until(() => _nodes.All(n => n.Log.Count >= 200), TimeSpan.FromSeconds(20)));
    }

    public void Dispose()
    {
        foreach ((RaftNode<long> node, TcpTransport transport, _) in _nodes)
        {
            node.StopAsync().Wait(TimeSpan.FromSeconds(10));
            transport.Dispose();
        }
    }
}
