using System.Diagnostics;
using FastRaft.Sample.Client;
using FastRaft.Sample.Cluster;
using FastRaft.Sample.Protocol;
using Microsoft.Extensions.Logging;

namespace FastRaft.Sample.Cli;

/// <summary>
/// The default mode: three nodes and a client in one process over loopback (Raft over UDP, or TCP
/// with <c>--transport tcp</c>; the client through the nodes' TCP client ports). Runs the order
/// flow, prints a line per second, stops the leader half-way and restarts it a while later, then
/// waits for the replicas to converge and compares them.
/// </summary>
internal static class DemoCommand
{
    public static async Task<int> RunAsync(SampleOptions options, TextWriter o, ILogger logger, CancellationToken cancel)
    {
        TimeSpan duration = options.Duration ?? TimeSpan.FromSeconds(20);
        string raftOver = options.Transport == RaftTransportKind.Tcp ? "TCP" : "UDP";
        o.WriteLine($"FastRaft sample: a replicated matching engine ({string.Join(", ", RaftSettings.Instruments.Select(i => i.Symbol))}) on 3 nodes, Raft over {raftOver} on 127.0.0.1");
        o.WriteLine($"storage: {(options.DataDirectory is null ? "in memory" : $"write-ahead logs under {Path.GetFullPath(options.DataDirectory)}")}; "
            + $"{options.Sessions} client sessions for {Report.Seconds(duration)}{(options.Failover ? "; the leader is stopped half-way" : "")}");
        o.WriteLine(options.Transport == RaftTransportKind.Tcp
            ? "cluster key: a random one made for this run (every Raft connection opens with a keyed handshake and every frame carries a MAC under it)"
            : "cluster key: a random one made for this run (every Raft datagram carries a MAC under it)");
        await using var cluster = new LocalCluster(3, options.DataDirectory, logger, transport: options.Transport);
        cluster.StartAll();
        foreach (ulong id in cluster.Members)
        {
            o.WriteLine($"node {id}: raft {cluster.RaftEndPoints[id]}, clients {cluster.ClientEndPoints[id]}");
        }
        if (!await WaitAsync(() => cluster.Leader is not null, TimeSpan.FromSeconds(15), cancel).ConfigureAwait(false))
        {
            o.WriteLine("FAIL: no leader was elected within 15 s");
            return 1;
        }
        PrintEvents(o, cluster.Leadership);

        using var client = new OrderClient(new OrderClientOptions
        {
            Nodes = cluster.ClientEndPoints,
            Instruments = RaftSettings.Instruments,
            Sessions = options.Sessions,
            Seed = options.Seed,
        });
        var clock = Stopwatch.StartNew();
        Task<bool> run = Task.Factory.StartNew(() => client.Run(duration, cancel), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var restarted = new HashSet<ulong>();
        ulong stoppedNode = 0;
        TimeSpan stopAt = duration / 2, restartAt = stopAt + TimeSpan.FromSeconds(Math.Max(1, duration.TotalSeconds / 4));
        long lastAcked = 0;
        TimeSpan nextLine = TimeSpan.FromSeconds(1), lastLine = TimeSpan.Zero;
        while (!run.IsCompleted)
        {
            TimeSpan wait = nextLine - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.WhenAny(run, Task.Delay(Min(wait, TimeSpan.FromMilliseconds(100)), CancellationToken.None)).ConfigureAwait(false);
            }
            PrintEvents(o, cluster.Leadership);
            TimeSpan now = clock.Elapsed;
            if (options.Failover && stoppedNode == 0 && now >= stopAt && cluster.Leader is SampleNode leader)
            {
                stoppedNode = leader.Id;
                o.WriteLine(Report.Event(cluster.Leadership.Elapsed, $"stopping the leader, node {stoppedNode} (fail-over demo)"));
                await cluster.StopAsync(stoppedNode).ConfigureAwait(false);
            }
            if (stoppedNode != 0 && restarted.Count == 0 && now >= restartAt)
            {
                Restart(o, cluster, stoppedNode, restarted);
            }
            if (now >= nextLine && !run.IsCompleted)
            {
                long acked = client.Statistics.Acked;
                double seconds = (now - lastLine).TotalSeconds;
                (ulong lead, ulong term, ulong commit) = View(cluster);
                o.WriteLine(Report.Progress(cluster.Leadership.Elapsed, lead, term, commit, (long)((acked - lastAcked) / seconds), client.Latency.TakeInterval(), client.Statistics.Trades));
                lastAcked = acked;
                lastLine = now;
                nextLine += TimeSpan.FromSeconds(1);
            }
        }
        bool answered = await run.ConfigureAwait(false);
        TimeSpan ran = clock.Elapsed;
        if (stoppedNode != 0 && restarted.Count == 0)
        {
            Restart(o, cluster, stoppedNode, restarted);
        }
        o.WriteLine(Report.Event(cluster.Leadership.Elapsed, answered ? "order flow done; waiting for every replica to apply everything" : "order flow done with unanswered orders; waiting for the replicas"));
        bool converged = await WaitAsync(cluster.Converged, TimeSpan.FromSeconds(20), CancellationToken.None).ConfigureAwait(false);
        PrintEvents(o, cluster.Leadership);

        Report.Summary(o, ran, options.Sessions, client.Statistics, client.Latency.Total(), cluster.Leadership.Leaderless, cluster.Leadership.Changes, cluster.Leadership.FirstLeader);
        IReadOnlyList<ReplicaState> replicas = cluster.ReadStates(client.ClientIds);
        CheckResult check = ClusterCheck.Verify(replicas, client.Outcomes, cluster.Members.Count);
        if (replicas.Count != cluster.Members.Count)
        {
            check = check with { Passed = false, Problems = [.. check.Problems, $"only {replicas.Count} of {cluster.Members.Count} nodes are running"] };
        }
        if (!converged)
        {
            check = check with { Problems = [.. check.Problems, "the replicas did not converge within 20 s"] };
        }
        var notes = new Dictionary<ulong, string>();
        foreach (SampleNode n in cluster.Running.Where(n => restarted.Contains(n.Id)))
        {
            long snapshots = n.Raft.Counters.SnapshotsRestored;
            notes[n.Id] = snapshots > 0 ? $"stopped and restarted; caught up through a snapshot sent over {raftOver}" : "stopped and restarted; caught up from the leader's log";
        }
        Report.Replicas(o, replicas, check, notes);
        return check.Passed ? 0 : 1;
    }

    private static void Restart(TextWriter o, LocalCluster cluster, ulong id, HashSet<ulong> restarted)
    {
        o.WriteLine(Report.Event(cluster.Leadership.Elapsed, $"restarting node {id} on its storage; it catches up from the leader"));
        cluster.Restart(id);
        restarted.Add(id);
    }

    private static (ulong Leader, ulong Term, ulong Commit) View(LocalCluster cluster)
    {
        if (cluster.Leader is SampleNode leader)
        {
            return (leader.Id, leader.Raft.Term, leader.Raft.CommitIndex);
        }
        ulong term = 0, commit = 0;
        foreach (SampleNode n in cluster.Running)
        {
            term = Math.Max(term, n.Raft.Term);
            commit = Math.Max(commit, n.Raft.CommitIndex);
        }
        return (0, term, commit);
    }

    private static void PrintEvents(TextWriter o, LeaderTracker tracker)
    {
        while (tracker.Events.TryDequeue(out (TimeSpan At, string What) e))
        {
            o.WriteLine(Report.Event(e.At, e.What));
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    internal static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout || cancel.IsCancellationRequested)
            {
                return false;
            }
            await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
        }
        return true;
    }
}
