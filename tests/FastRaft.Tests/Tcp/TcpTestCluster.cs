using System.Net;
using System.Net.Sockets;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Idle;
using FastRaft.Storage;
using FastRaft.Tests.Udp;
using FastRaft.Transport.Tcp;

namespace FastRaft.Tests.Tcp;

/// <summary>Three RaftNodes over TCP transports whose security the test chooses; stopped on dispose.</summary>
internal sealed class TcpTestCluster : IDisposable
{
    public static readonly ulong[] Voters = [1, 2, 3];

    private readonly List<(RaftNode<long> Node, TcpTransport Transport, PayloadLog Log)> _nodes = [];

    public TcpTestCluster()
    {
        foreach (ulong id in Voters)
        {
            Addresses[id] = new IPEndPoint(IPAddress.Loopback, FreePort());
        }
    }

    public Dictionary<ulong, IPEndPoint> Addresses { get; } = [];

    public IReadOnlyList<(RaftNode<long> Node, TcpTransport Transport, PayloadLog Log)> Nodes => _nodes;

    public static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    public Dictionary<ulong, IPEndPoint> PeersOf(ulong id) => Addresses.Where(kv => kv.Key != id).ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>Starts the three nodes with the transports <paramref name="transportFor"/> builds (given the id).</summary>
    public void Start(Func<ulong, TcpTransport> transportFor)
    {
        foreach (ulong id in Voters)
        {
            TcpTransport transport = transportFor(id);
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

    public RaftNode<long> Leader()
    {
        Assert.True(Wait.Until(() => _nodes.Any(n => n.Node.IsLeader), TimeSpan.FromSeconds(15)), "no leader elected over TCP");
        return _nodes.First(n => n.Node.IsLeader).Node;
    }

    public TcpTransport TransportOf(ulong id) => _nodes.First(n => n.Node.Id == id).Transport;

    /// <summary>Proposes <paramref name="count"/> entries on the leader and waits until every node applied <paramref name="total"/>.</summary>
    public async Task ReplicateAsync(int count, int total)
    {
        RaftNode<long> leader = Leader();
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
        Assert.True(Wait.Until(() => _nodes.All(n => n.Log.Count >= total), TimeSpan.FromSeconds(20)),
            string.Join(", ", _nodes.Select(n => $"{n.Node.Id}: {n.Log.Count}")));
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
