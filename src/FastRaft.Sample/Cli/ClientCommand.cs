using System.Diagnostics;
using System.Net;
using FastRaft.Sample.Client;
using FastRaft.Sample.Cluster;
using FastRaft.Sample.Protocol;

namespace FastRaft.Sample.Cli;

/// <summary>
/// A client process (<c>--client --peers LIST</c>): sends the order flow to the cluster, a
/// line per second, then asks every node for its state and checks that the replicas that answer
/// agree and applied each acknowledged order exactly once.
/// </summary>
internal static class ClientCommand
{
    public static async Task<int> RunAsync(SampleOptions options, TextWriter o, CancellationToken cancel)
    {
        TimeSpan duration = options.Duration ?? TimeSpan.FromSeconds(20);
        Dictionary<ulong, IPEndPoint> nodes = options.Peers.ToDictionary(p => p.Id, p => p.Client);
        o.WriteLine($"client: {options.Sessions} sessions for {Report.Seconds(duration)} against {string.Join(", ", options.Peers.Select(p => $"node {p.Id} at {p.Client}"))}");
        using var client = new OrderClient(new OrderClientOptions
        {
            Nodes = nodes,
            Instruments = RaftSettings.Instruments,
            Sessions = options.Sessions,
            Seed = options.Seed,
        });
        var clock = Stopwatch.StartNew();
        Task<bool> run = Task.Factory.StartNew(() => client.Run(duration, cancel), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        long lastAcked = 0;
        ulong lastLeader = 0;
        TimeSpan next = TimeSpan.FromSeconds(1), lastLine = TimeSpan.Zero;
        while (!run.IsCompleted)
        {
            TimeSpan wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.WhenAny(run, Task.Delay(wait, CancellationToken.None)).ConfigureAwait(false);
            }
            if (run.IsCompleted)
            {
                break;
            }
            TimeSpan now = clock.Elapsed;
            ulong leader = client.Leader;
            if (leader != lastLeader && leader != 0 && client.Statistics.Acked > 0)
            {
                o.WriteLine(Report.Event(now, $"orders go to node {leader}"));
                lastLeader = leader;
            }
            long acked = client.Statistics.Acked;
            o.WriteLine(Report.Progress(now, leader, client.LastTerm, client.LastIndex, (long)((acked - lastAcked) / (now - lastLine).TotalSeconds),
                client.Latency.TakeInterval(), client.Statistics.Trades));
            lastAcked = acked;
            lastLine = now;
            next += TimeSpan.FromSeconds(1);
        }
        bool answered = await run.ConfigureAwait(false);
        TimeSpan ran = clock.Elapsed;
        o.WriteLine(Report.Event(ran, answered ? "order flow done; asking every node for its state" : "order flow done with unanswered orders; asking every node for its state"));

        IReadOnlyList<ReplicaState> replicas = await ConvergedStatesAsync(nodes, client.ClientIds).ConfigureAwait(false);
        Report.Summary(o, ran, options.Sessions, client.Statistics, client.Latency.Total(), null, null, null);
        foreach (ulong id in nodes.Keys.Order().Where(id => !replicas.Any(r => r.NodeId == id)))
        {
            o.WriteLine($"  unreachable          node {id} did not answer");
        }
        CheckResult check = ClusterCheck.Verify(replicas, client.Outcomes, nodes.Count);
        Report.Replicas(o, replicas, check);
        return check.Passed ? 0 : 1;
    }

    /// <summary>
    /// Polls the nodes until those that answer report the same applied index twice in a row
    /// (nothing is being applied any more), for up to 20 s; returns the last answers.
    /// </summary>
    private static async Task<IReadOnlyList<ReplicaState>> ConvergedStatesAsync(Dictionary<ulong, IPEndPoint> nodes, IReadOnlyList<ulong> clientIds)
    {
        var clock = Stopwatch.StartNew();
        List<ReplicaState> previous = [];
        while (true)
        {
            Task<ReplicaState?>[] queries = [.. nodes.OrderBy(n => n.Key).Select(n =>
                Task.Run(() => ClusterQuery.Query(n.Value, clientIds, TimeSpan.FromMilliseconds(300))))];
            ReplicaState?[] answers = await Task.WhenAll(queries).ConfigureAwait(false);
            List<ReplicaState> states = [.. answers.OfType<ReplicaState>()];
            bool settled = states.Count > 0 && states.All(s => s.LastApplied == states[0].LastApplied)
                && previous.Count == states.Count && previous.All(p => p.LastApplied == states[0].LastApplied);
            if (settled || clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                return states;
            }
            previous = states;
            await Task.Delay(200).ConfigureAwait(false);
        }
    }
}
