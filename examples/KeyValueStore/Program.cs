using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using FastRaft.Hosting;
using FastRaft.Hosting.Building;
using FastRaft.Protocol;
using FastRaft.Transport.Udp;

// Three replicas of a key-value store in one process, talking Raft over UDP on loopback.
using var watchdog = new Timer(_ => { Console.Error.WriteLine("timed out"); Environment.Exit(2); }, null, 20_000, Timeout.Infinite);
byte[] clusterKey = RandomNumberGenerator.GetBytes(32); // the same secret on every node
var members = new Dictionary<ulong, IPEndPoint>();
for (ulong id = 1; id <= 3; id++) members[id] = new IPEndPoint(IPAddress.Loopback, 47_000 + (int)id);
var stores = new Dictionary<ulong, KeyValueStore>();
var nodes = new List<RaftNode<int>>();
foreach ((ulong id, IPEndPoint address) in members)
{
    stores[id] = new KeyValueStore();
    nodes.Add(RaftNodeBuilder<int>.ForNode(id).WithStateMachine(stores[id]).WithInitialMembers([.. members.Keys])
        .UseUdpTransport(address, members, clusterKey).Build());
}
nodes.ForEach(node => node.Start());
foreach (string write in new[] { "apple=red", "pear=green", "apple=yellow" })
{
    // Only the leader accepts proposals; retry until one is elected (proposals to others fail fast).
    while (nodes.Find(n => n.IsLeader) is not { } leader || !(await leader.ProposeAsync(Encoding.UTF8.GetBytes(write))).IsOk)
        await Task.Delay(20);
}
bool agreed = true;
foreach (RaftNode<int> node in nodes)
{
    ReadResult read = await node.ReadIndexAsync(); // linearizable: this replica has applied every write above
    string state = string.Join(", ", stores[node.Id].Data.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"));
    Console.WriteLine($"node {node.Id} ({(node.IsLeader ? "leader" : "follower")}): {state}");
    agreed &= read.IsOk && state == "apple=yellow, pear=green";
}
foreach (RaftNode<int> node in nodes) await node.StopAsync();
return agreed ? 0 : 1;

/// <summary>The replicated state: entries are "key=value" writes, applied in log order on every replica.</summary>
sealed class KeyValueStore : IStateMachine<int>
{
    public ConcurrentDictionary<string, string> Data { get; } = new();

    public void Apply(ReadOnlySpan<Entry> entries, Span<int> results)
    {
        for (int i = 0; i < entries.Length; i++)
        {
            if (entries[i].Data.IsEmpty) continue; // the empty entry a new leader commits
            Set(Encoding.UTF8.GetString(entries[i].Data.Span)); // payloads are valid only during Apply: copy
            results[i] = Data.Count;
        }
    }

    public void SaveSnapshot(Stream destination)
    {
        using var writer = new StreamWriter(destination, leaveOpen: true);
        foreach ((string key, string value) in Data) writer.WriteLine($"{key}={value}");
    }

    public void RestoreSnapshot(Stream source)
    {
        Data.Clear();
        using var reader = new StreamReader(source, leaveOpen: true);
        while (reader.ReadLine() is string line) Set(line);
    }

    private void Set(string write) => Data[write[..write.IndexOf('=')]] = write[(write.IndexOf('=') + 1)..];
}
