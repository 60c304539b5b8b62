using System.Diagnostics;
using FastRaft.Core.Logging;
using FastRaft.Core.Storage;
using FastRaft.Sample.Client;
using FastRaft.Sample.Cluster;
using FastRaft.Sample.Protocol;
using FastRaft.Storage;
using FastRaft.Storage.Wal;

namespace FastRaft.Sample.Cli;

/// <summary>One node per process (<c>--node ID --peers LIST [--data DIR]</c>): runs until cancelled or for <c>--duration</c>, a status line per second.</summary>
internal static class NodeCommand
{
    public static async Task<int> RunAsync(SampleOptions options, TextWriter o, RaftLogger logger, CancellationToken cancel)
    {
        PeerAddress self = options.Peers.First(p => p.Id == options.NodeId);
        var peers = options.Peers.Where(p => p.Id != self.Id).ToDictionary(p => p.Id, p => p.Raft);
        ulong[] members = [.. options.Peers.Select(p => p.Id).Order()];
        IRaftStorage storage;
        string storageText;
        if (options.DataDirectory is null)
        {
            storage = new MemoryStorage();
            storageText = "in memory";
        }
        else
        {
            var wal = WriteAheadLog.Open(options.DataDirectory, new WalOptions { SegmentSize = 8 << 20, Logger = logger });
            storage = wal;
            storageText = $"write-ahead log {wal.Directory} (recovered entries {wal.FirstIndex()}..{wal.LastIndex()}, commit {wal.HardState.Commit})";
        }
        try
        {
            var config = new NodeConfig(self.Id, members, self.Raft, self.Client, peers, RaftSettings.Instruments);
            await using SampleNode node = SampleNode.Create(config, storage, logger);
            node.Start();
            o.WriteLine($"node {node.Id}: raft {node.RaftEndPoint}, clients {node.ClientEndPoint}, members {string.Join(",", members)}, storage {storageText}");
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
            o.WriteLine($"node {node.Id} stopped: applied {Report.N(index)}, state {ClusterCheck.Hex(hash)}");
            return 0;
        }
        finally
        {
            storage.Dispose();
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string Status(TimeSpan elapsed, SampleNode node)
    {
        ReplicaState s = ClientEndpoint.ReadState(node.Raft, node.StateMachine, []);
        string leader = s.Leader == 0 ? "none" : s.Leader.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return $"{Report.Stamp(elapsed)} node {s.NodeId} {s.Role,-9} leader {leader}  term {s.Term}  commit {Report.N(s.Commit),9}  applied {Report.N(s.LastApplied),9} | orders {Report.N(s.Statistics.OrdersAccepted)}  trades {Report.N(s.Statistics.Trades)}  resting {Report.N(s.RestingOrders)}";
    }
}
