using System.Net;
using System.Diagnostics;
using FastRaft.Sample.Client;
using FastRaft.Sample.Cluster;
using FastRaft.Sample.Protocol;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Udp;
using Microsoft.Extensions.Logging;

namespace FastRaft.Sample.Cli;

/// <summary>
/// One node per process (<c>--node ID --peers LIST --key-file PATH [--data DIR] [--init | --join]</c>):
/// checks its key and its storage's identity, then runs until cancelled or for
/// <c>--duration</c>, a status line per second.
/// </summary>
internal static class NodeCommand
{
    /// <param name="environmentKey">The value of <see cref="ClusterKeyFile.EnvironmentVariable"/> (null when unset).</param>
    public static async Task<int> RunAsync(SampleOptions options, TextWriter o, TextWriter e, ILogger logger, string? environmentKey, CancellationToken cancel)
    {
        PeerAddress self = options.Peers.First(p => p.Id == options.NodeId);
        var peers = options.Peers.Where(p => p.Id != self.Id).ToDictionary(p => p.Id, p => p.Raft);
        ulong[] members = [.. options.Peers.Select(p => p.Id).Order()];
        if (!KeySelection.TryResolve(options, environmentKey, e, out byte[]? key, out string keySource, out string keyError))
        {
            e.WriteLine($"error: {keyError}");
            return 2;
        }
        if (key is null)
        {
            e.WriteLine($"WARNING: INSECURE: node {self.Id} runs without a cluster key (--insecure-no-auth): anyone who can reach {self.Raft} "
                + $"can take part in consensus, and anyone who can reach {self.Client} can change the membership");
        }
        if (!NodeStorage.TryOpen(options, logger, o, out NodeStorage? storage, out string storageError))
        {
            e.WriteLine($"error: {storageError}");
            return 2;
        }
        using (storage)
        {
            IReadOnlyList<ulong>? bootstrap = storage!.IsEmpty && options.Start == NodeStart.Init ? members : null;
            string start = !storage.IsEmpty ? "resuming its log"
                : bootstrap is not null ? $"bootstrapping a new cluster of {string.Join(",", members)} (--init)"
                : "joining: waiting to be added with --add-node (--join)";
            Dictionary<ulong, IPEndPoint> clientPorts = options.Peers.ToDictionary(p => p.Id, p => p.Client);
            var config = new NodeConfig(self.Id, bootstrap, self.Raft, self.Client, peers, RaftSettings.Instruments, key)
            {
                Transport = options.Transport,
                // A NotLeader answer sends clients to the leader's gateway as --peers lists it.
                ClientAddressOf = id => clientPorts.GetValueOrDefault(id),
            };
            await using SampleNode node = SampleNode.Create(config, storage.Storage, logger);
            node.Start();
            o.WriteLine($"node {node.Id}: raft {node.RaftEndPoint} ({(node.Transport == RaftTransportKind.Tcp ? "tcp" : "udp")}), clients {node.ClientEndPoint}, {start}, storage {storage.Description}, cluster key: {keySource}");
            var clock = Stopwatch.StartNew();
            TimeSpan end = options.Duration ?? TimeSpan.MaxValue;
            string lastRole = "";
            TimeSpan next = TimeSpan.FromSeconds(1);
            while (!cancel.IsCancellationRequested && clock.Elapsed < end && !node.Raft.Completion.IsCompleted)
            {
                try
                {
                    // A line per second on the clock, however long the last one took.
                    TimeSpan wait = Min(next, end) - clock.Elapsed;
                    next += TimeSpan.FromSeconds(1);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, cancel).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                string role = ClientEndpoint.RoleName(node.Raft.Role);
                if (role != lastRole && role == "leader")
                {
                    o.WriteLine(Report.Event(clock.Elapsed, $"node {node.Id} is leader (term {node.Raft.Term})"));
                }
                lastRole = role;
                o.WriteLine(Status(clock.Elapsed, node));
            }
            await node.StopAsync().ConfigureAwait(false);
            if (node.Raft.Fault is Exception fault)
            {
                o.WriteLine($"node {node.Id} stopped on a fault: {fault.Message}");
                return 1;
            }
            (ulong index, byte[] hash) = node.StateMachine.HashState();
            o.WriteLine($"node {node.Id} stopped: applied {Report.N(index)}, state {ClusterCheck.Hex(hash)}; {Report.ClientPort(node.ClientPort)}");
            return 0;
        }
    }

    /// <summary>What the Raft port refused: datagrams (or connections and frames) dropped by the transport (forged, replayed, garbage) and messages the node refused.</summary>
    private static string RaftPort(SampleNode node)
    {
        if (node.TcpCounters is TcpTransportCounters tcp)
        {
            return $"raft tcp: connections refused {Report.N(tcp.HandshakesRefused + tcp.ConnectionsRefused)}, bad frames {Report.N(tcp.BadFrames)}, "
                + $"messages dropped {Report.N(tcp.MessagesDropped)}  refused {Report.N(node.Raft.Counters.MessagesRefused.Total)}";
        }
        UdpTransportCounters t = node.UdpCounters!;
        return $"raft drops {Report.N(t.DroppedTotal)} (bad MAC {Report.N(t.Dropped(DropReason.BadMac))}, replayed {Report.N(t.Dropped(DropReason.Replayed))})  refused {Report.N(node.Raft.Counters.MessagesRefused.Total)}";
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string Status(TimeSpan elapsed, SampleNode node)
    {
        ReplicaState s = ClientEndpoint.ReadState(node.Raft, node.StateMachine, []);
        string leader = s.Leader == 0 ? "none" : s.Leader.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string learner = node.Members.IsLearner(node.Id) ? " (learner)" : "";
        return $"{Report.Stamp(elapsed)} node {s.NodeId} {s.Role,-9} leader {leader}  term {s.Term}  commit {Report.N(s.Commit),9}  applied {Report.N(s.LastApplied),9} | orders {Report.N(s.Statistics.OrdersAccepted)}  trades {Report.N(s.Statistics.Trades)}  resting {Report.N(s.RestingOrders)} | client drops {Report.N(node.ClientPortDropped)}{learner} | {RaftPort(node)}";
    }
}
