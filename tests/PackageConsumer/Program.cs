// A consumer of the FastRaft packages: a three-node cluster in this process over UDP, then over
// TCP (loopback), each authenticated with a cluster key. It proposes one entry on the leader,
// waits until every node has applied it, and does a linearizable read on a follower.
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Storage;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Udp;

ulong[] ids = [1, 2, 3];
byte[] key = RandomNumberGenerator.GetBytes(32);
try
{
    var udp = ids.ToDictionary(id => id, id => new UdpTransport(new UdpTransportOptions { LocalId = id, ClusterId = 7, ClusterKey = key }));
    foreach (var (id, t) in udp)
    {
        foreach (var (peer, other) in udp)
        {
            if (peer != id)
            {
                t.SetPeer(peer, other.LocalEndPoint);
            }
        }
    }
    await RunCluster("udp", id => udp[id]);

    var endpoints = ids.ToDictionary(id => id, _ => new IPEndPoint(IPAddress.Loopback, FreeTcpPort()));
    await RunCluster("tcp", id => new TcpTransport(new TcpTransportOptions
    {
        LocalId = id,
        ListenEndPoint = endpoints[id],
        Peers = endpoints.Where(p => p.Key != id).ToDictionary(),
        ClusterKey = key,
    }));
    Console.WriteLine("package consumer: ok");
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"package consumer: FAILED: {e}");
    return 1;
}

async Task RunCluster(string name, Func<ulong, ITransport> transportFor)
{
    var machines = ids.ToDictionary(id => id, _ => new Counter());
    var nodes = ids.ToDictionary(id => id, id => new RaftNode<long>(
        new RaftNodeOptions { Raft = new RaftConfig { Id = id, ElectionTick = 10, HeartbeatTick = 1 }, InitialMembers = ids },
        new MemoryStorage(), transportFor(id), machines[id]));
    try
    {
        foreach (RaftNode<long> node in nodes.Values)
        {
            node.Start();
        }
        RaftNode<long> leader = await Until(() => nodes.Values.FirstOrDefault(n => n.IsLeader), $"{name}: a leader");
        ProposeResult<long> proposed = await leader.ProposeAsync(Encoding.UTF8.GetBytes("hello"));
        long total = proposed.GetValueOrThrow();
        await Until(() => ids.All(id => nodes[id].AppliedIndex >= proposed.Index) ? "applied" : null, $"{name}: entry applied on every node");
        RaftNode<long> follower = nodes.Values.First(n => n.Id != leader.Id);
        ReadResult read = await follower.ReadIndexAsync();
        if (!read.IsOk || machines[follower.Id].Total != 5)
        {
            throw new InvalidOperationException($"{name}: read on node {follower.Id}: {read.Status}, total {machines[follower.Id].Total}, expected 5");
        }
        Console.WriteLine($"{name}: leader {leader.Id} applied \"hello\" at index {proposed.Index} (total {total}); node {follower.Id} reads {machines[follower.Id].Total}");
    }
    finally
    {
        foreach (RaftNode<long> node in nodes.Values)
        {
            await node.DisposeAsync();
        }
    }
}

static async Task<T> Until<T>(Func<T?> probe, string what) where T : class
{
    for (int i = 0; i < 300; i++)
    {
        if (probe() is { } found)
        {
            return found;
        }
        await Task.Delay(50);
    }
    throw new TimeoutException($"no {what} within 15 s");
}

static int FreeTcpPort()
{
    using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    return ((IPEndPoint)probe.LocalEndPoint!).Port;
}

/// <summary>The replicated state: the total length of every payload applied.</summary>
sealed class Counter : IStateMachine<long>
{
    private long _total;

    public long Total => Interlocked.Read(ref _total);

    public void Apply(ReadOnlySpan<Entry> entries, Span<long> results)
    {
        for (int i = 0; i < entries.Length; i++)
        {
            results[i] = Interlocked.Add(ref _total, entries[i].Data.Length);
        }
    }

    public void SaveSnapshot(Stream destination) => destination.Write(BitConverter.GetBytes(Total));

    public void RestoreSnapshot(Stream source)
    {
        Span<byte> bytes = stackalloc byte[8];
        Interlocked.Exchange(ref _total, source.ReadAtLeast(bytes, 8, throwOnEndOfStream: false) == 8 ? BitConverter.ToInt64(bytes) : 0);
    }
}
