using System.Diagnostics;
using FastRaft.Sample.Client;
using FastRaft.Sample.Cluster;
using FastRaft.Sample.Matching;
using FastRaft.Sample.Protocol;
using FastRaft.Sample.Workload;
using Microsoft.Extensions.Logging;

namespace FastRaft.Sample.Cli;

/// <summary>
/// <c>--instruments N</c>: the matching engine with one Raft group per instrument over three
/// nodes in this process (<see cref="InstrumentGroups"/>: one keyed UDP transport per node shared
/// by its groups, leaders spread over the nodes). Sessions trade for the duration, a line per
/// second shows the pace and where the leaders are, then every group's replicas are compared.
/// </summary>
internal static class InstrumentsCommand
{
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(20);

    public static async Task<int> RunAsync(SampleOptions options, TextWriter o, ILogger logger, CancellationToken cancel)
    {
        TimeSpan duration = options.Duration ?? TimeSpan.FromSeconds(20);
        IReadOnlyList<Instrument> instruments = Instruments(options.Instruments);
        int sessionCount = Math.Max(options.Sessions, instruments.Count);
        o.WriteLine($"FastRaft sample: a replicated matching engine with one Raft group per instrument ({instruments.Count} instruments) on 3 nodes, Raft over UDP on 127.0.0.1");
        o.WriteLine($"each node: one RaftGroupHost, one UDP transport shared by all its groups (datagrams carry a MAC under a random key made for this run); leaders spread over the nodes");
        o.WriteLine($"storage: in memory; {sessionCount} client sessions (each trading one instrument) for {Report.Seconds(duration)}");
        var clock = Stopwatch.StartNew();
        await using var cluster = new InstrumentGroups(instruments, logger);
        for (int n = 0; n < cluster.Members.Count; n++)
        {
            o.WriteLine($"node {cluster.Members[n]}: raft {cluster.RaftEndPoints[n]}, {instruments.Count} group replicas");
        }
        if (!await DemoCommand.WaitAsync(cluster.LeadersSettled, SettleTimeout, cancel).ConfigureAwait(false))
        {
            o.WriteLine($"FAIL: the groups' leaders did not settle on their preferred nodes within {Report.Seconds(SettleTimeout)} (leaders per node: {Leaders(cluster)})");
            return 1;
        }
        o.WriteLine(Report.Event(clock.Elapsed, $"every group has a leader, spread over the nodes: {Leaders(cluster)}"));

        var sessions = new GroupSession[sessionCount];
        for (int s = 0; s < sessionCount; s++)
        {
            int group = s % instruments.Count;
            sessions[s] = new GroupSession(
                ClientIdOf(s), group, new OrderFlow([instruments[group]], options.Seed * 7919 + s), g => cluster.LeaderOf(g)?.Node);
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var running = new Task[sessionCount];
        for (int s = 0; s < sessionCount; s++)
        {
            GroupSession session = sessions[s];
            running[s] = Task.Run(() => session.RunAsync(stop.Token), CancellationToken.None);
        }
        var flow = Stopwatch.StartNew();
        long lastAcked = 0;
        while (flow.Elapsed < duration && !cancel.IsCancellationRequested)
        {
            await Task.Delay(Min(TimeSpan.FromSeconds(1), duration - flow.Elapsed), CancellationToken.None).ConfigureAwait(false);
            long acked = sessions.Sum(s => s.Acked);
            o.WriteLine(Report.Event(clock.Elapsed, $"{Report.N(acked - lastAcked)} orders acknowledged; leaders per node {Leaders(cluster)}"));
            lastAcked = acked;
        }
        TimeSpan ran = flow.Elapsed;
        stop.Cancel();
        bool finished = await Task.WhenAll(running).WaitAsync(SettleTimeout, CancellationToken.None).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default).ConfigureAwait(false);
        o.WriteLine(Report.Event(clock.Elapsed, finished ? "order flow done; waiting for every group's replicas to apply everything" : "order flow done with sessions still waiting; checking the replicas"));
        bool converged = await DemoCommand.WaitAsync(() => Enumerable.Range(0, instruments.Count).All(cluster.Converged), SettleTimeout, CancellationToken.None).ConfigureAwait(false);

        long total = sessions.Sum(s => s.Acked);
        o.WriteLine();
        o.WriteLine($"Summary ({Report.Seconds(ran)}, {sessionCount} client sessions, {instruments.Count} groups)");
        o.WriteLine($"  orders acknowledged  {Report.N(total)} ({Report.N((long)(total / Math.Max(ran.TotalSeconds, 1e-9)))}/s), trades {Report.N(sessions.Sum(s => s.Trades))}, resends {Report.N(sessions.Sum(s => s.Resends))}");
        o.WriteLine($"  leaders per node     {Leaders(cluster)}");
        int failed = 0;
        for (int g = 0; g < instruments.Count; g++)
        {
            ulong[] clientIds = [.. sessions.Where(s => s.Group == g).Select(s => s.ClientId)];
            IReadOnlyList<ReplicaState> replicas = [.. cluster.Replicas[g].Select(r => ClientEndpoint.ReadState(r.Node, r.StateMachine, clientIds))];
            CheckResult check = ClusterCheck.Verify(replicas, [.. sessions.Where(s => s.Group == g).Select(s => s.Outcome)], cluster.Members.Count);
            if (!converged && !check.Passed)
            {
                check = check with { Problems = [.. check.Problems, "the replicas did not converge in time"] };
            }
            failed += check.Passed ? 0 : 1;
            ReplicaState first = replicas[0];
            o.WriteLine($"  group {instruments[g].Id,-4} {instruments[g].Symbol,-8} leader node {cluster.LeaderOf(g)?.Node.Id ?? 0}  applied {Report.N(first.LastApplied),7}  orders {Report.N(first.Statistics.OrdersAccepted)}  trades {Report.N(first.Statistics.Trades)}  "
                + $"state {ClusterCheck.Hex(first.StateHash)}  {(check.Passed ? $"{replicas.Count} replicas identical" : "FAIL")}");
            foreach (string p in check.Problems)
            {
                o.WriteLine($"    problem            {p}");
            }
        }
        o.WriteLine(failed == 0
            ? $"  check                PASS: every group's {cluster.Members.Count} replicas hold identical order books ({instruments.Count} groups); every acknowledged order was applied exactly once"
            : $"  check                FAIL: {failed} of {instruments.Count} groups' replicas disagree or lost orders");
        return failed == 0 && converged ? 0 : 1;
    }

    /// <summary>The sample's three named instruments first, then INSTR4, INSTR5...</summary>
    internal static IReadOnlyList<Instrument> Instruments(int count)
    {
        var list = new List<Instrument>(count);
        for (int i = 1; i <= count; i++)
        {
            list.Add(i <= RaftSettings.Instruments.Count ? RaftSettings.Instruments[i - 1] : new Instrument(i, $"INSTR{i}"));
        }
        return list;
    }

    private static ulong ClientIdOf(int session) => 0x5E55_0000UL + (ulong)session + 1;

    private static string Leaders(InstrumentGroups cluster)
    {
        int[] counts = cluster.LeadersPerNode();
        return string.Join(", ", counts.Select((c, i) => $"node {cluster.Members[i]}: {c}"));
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
