using System.Globalization;
using FastRaft.Sample.Client;
using FastRaft.Sample.Cluster;
using FastRaft.Sample.Protocol;

namespace FastRaft.Sample.Cli;

/// <summary>The sample's console lines: one progress line per second, events, and the summary. Plain text, so it reads the same when stdout is not a terminal.</summary>
internal static class Report
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string N(long value) => value.ToString("N0", Invariant);

    public static string N(ulong value) => value.ToString("N0", Invariant);

    public static string Plural(long count, string what) => $"{N(count)} {what}{(count == 1 ? "" : "s")}";

    /// <summary>What a node's client port received and dropped, for its last line.</summary>
    public static string ClientPort(ClientPortCounters c) =>
        $"client port: {Plural(c.Requests, "request")} on {Plural(c.ConnectionsAccepted, "connection")}, {N(c.Dropped)} refused "
        + $"({N(c.Malformed)} malformed, {N(c.Garbage)} garbage, {N(c.OversizeFrames)} oversize frames, {N(c.SlowFrames)} slow frames, "
        + $"{N(c.CutFrames)} cut frames, {N(c.SlowReaders)} slow readers, {N(c.TooManyConnections)} over the connection limit, "
        + $"{N(c.ParseFaults)} parse faults, {N(c.Unauthorized)} unauthorized, {N(c.HandlerFaults)} handler faults)";

    public static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.00", Invariant) + " s";

    public static string Stamp(TimeSpan elapsed) => "[" + elapsed.TotalSeconds.ToString("0.0", Invariant).PadLeft(5) + "s]";

    public static string Event(TimeSpan elapsed, string what) => $"{Stamp(elapsed)} {what}";

    /// <summary>The per-second line: who leads, where the log is, throughput and latency of the last second.</summary>
    public static string Progress(TimeSpan elapsed, ulong leader, ulong term, ulong commit, long ordersPerSecond, LatencySummary interval, long trades)
    {
        string lead = leader == 0 ? "none" : leader.ToString(Invariant);
        string latency = interval.Count == 0
            ? "p50     - ms  p99     - ms"
            : $"p50 {LatencySummary.Millis(interval.P50),5} ms  p99 {LatencySummary.Millis(interval.P99),5} ms";
        return $"{Stamp(elapsed)} leader {lead}  term {term}  commit {N(commit),9} | {N(ordersPerSecond),7} orders/s | {latency} | trades {N(trades)}";
    }

    public static void Summary(TextWriter o, TimeSpan ran, int sessions, ClientStatistics stats, LatencySummary latency, TimeSpan? leaderless, int? leaderChanges, TimeSpan? firstLeader)
    {
        double seconds = Math.Max(ran.TotalSeconds, 1e-9);
        o.WriteLine();
        o.WriteLine($"Summary ({Seconds(ran)}, {sessions} client sessions)");
        o.WriteLine($"  orders acknowledged  {N(stats.Acked)} ({N((long)(stats.Acked / seconds))}/s): {N(stats.Placed)} placed, {N(stats.Cancelled)} cancels, "
            + $"{N(stats.CancelsMissed)} cancels too late (already traded), {N(stats.Rejected)} rejected as invalid (sent on purpose)");
        o.WriteLine($"  trades               {N(stats.Trades)}, volume {N(stats.Volume)}");
        o.WriteLine(latency.Count == 0
            ? "  latency              no orders acknowledged"
            : $"  latency              p50 {LatencySummary.Millis(latency.P50)} ms  p90 {LatencySummary.Millis(latency.P90)} ms  p99 {LatencySummary.Millis(latency.P99)} ms  p99.9 {LatencySummary.Millis(latency.P999)} ms  max {LatencySummary.Millis(latency.Max)} ms (HdrHistogram, send to applied answer, retries included)");
        o.WriteLine($"  client               {N(stats.Timeouts)} resends after a timeout, {N(stats.Redirects)} redirects to the leader, {N(stats.Retries)} proposals lost to a leader change and resent, {N(stats.Duplicates)} answered as already applied");
        if (leaderless is TimeSpan none)
        {
            string first = firstLeader is TimeSpan f ? $"first leader after {Seconds(f)}" : "no leader elected";
            o.WriteLine($"  no leader            {Seconds(none)} in total after the first election ({first}; {Plural(leaderChanges ?? 0, "leader change")} since)");
        }
        o.WriteLine($"  longest stall        {Seconds(stats.LongestGap)} between two acknowledgements");
    }

    public static void Replicas(TextWriter o, IReadOnlyList<ReplicaState> replicas, CheckResult check, IReadOnlyDictionary<ulong, string>? notes = null)
    {
        bool firstLine = true;
        foreach (ReplicaState r in replicas)
        {
            string label = firstLine ? "  replicas           " : "                     ";
            firstLine = false;
            string note = notes is not null && notes.TryGetValue(r.NodeId, out string? n) ? $"  ({n})" : "";
            o.WriteLine($"{label} node {r.NodeId}  {r.Role,-9} applied {N(r.LastApplied),9}  orders {N(r.Statistics.OrdersAccepted)}  trades {N(r.Statistics.Trades)}  resting {N(r.RestingOrders)}  state {ClusterCheck.Hex(r.StateHash)}{note}");
        }
        foreach (string p in check.Problems)
        {
            o.WriteLine($"  problem              {p}");
        }
        string verdict = check.Passed
            ? $"PASS: {replicas.Count} replicas hold identical order books; every acknowledged order was applied exactly once ({check.Lost} lost, {check.Duplicated} duplicated"
                + (check.Unresolved > 0 ? $", {check.Unresolved} unanswered at the end)" : ")")
            : $"FAIL: {(check.IdenticalBooks ? "" : "replicas differ; ")}{check.Lost} lost, {check.Duplicated} duplicated";
        o.WriteLine($"  check                {verdict}");
    }
}
