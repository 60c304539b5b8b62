using System.Diagnostics;
using System.Net;
using FastRaft.Sample.Client;
using FastRaft.Sample.Protocol;

namespace FastRaft.Sample.Cli;

/// <summary>
/// Membership changes from the command line (<c>--client --peers LIST --add-node ID=host:port[/clientPort]</c>
/// or <c>--remove-node ID</c>). Adding is done the careful way: the node becomes a learner (it
/// receives the log but does not count for quorum), and only once it has caught up with the
/// leader's commit index is it made a voter, so a slow newcomer never costs the cluster its
/// majority.
/// </summary>
internal static class MembershipCommand
{
    /// <summary>How long one change may take to be committed (leader changes and retries included).</summary>
    private static readonly TimeSpan ChangeTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long a new learner may take to catch up when no --duration is given.</summary>
    private static readonly TimeSpan DefaultCatchUpTimeout = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(SampleOptions options, TextWriter o, TextWriter e, string? environmentKey, CancellationToken cancel)
    {
        if (!KeySelection.TryResolve(options, environmentKey, e, out byte[]? key, out _, out string keyError))
        {
            e.WriteLine($"error: {keyError}");
            return 2;
        }
        Dictionary<ulong, IPEndPoint> nodes = options.Peers.ToDictionary(p => p.Id, p => p.Client);
        using var client = new MembershipClient(nodes, key);
        return await Task.Run(() => options.AddNode is PeerAddress added
            ? Add(client, nodes, added, options.Duration ?? DefaultCatchUpTimeout, o, e, cancel)
            : Remove(client, options.RemoveNode, o, e), CancellationToken.None).ConfigureAwait(false);
    }

    private static int Add(MembershipClient client, Dictionary<ulong, IPEndPoint> nodes, PeerAddress node, TimeSpan catchUpTimeout,
        TextWriter o, TextWriter e, CancellationToken cancel)
    {
        o.WriteLine($"adding node {node.Id} (raft {node.Raft}, clients {node.Client}) to the cluster of {string.Join(",", nodes.Keys.Order())}, as a learner first");
        if (!TryChange(client, MembershipOp.AddLearner, node.Id, node.Raft, e, out MembershipReply learner))
        {
            return 1;
        }
        o.WriteLine($"node {node.Id} is a learner since index {learner.Index} ({Members(learner)}); waiting for it to catch up");

        // Caught up: the newcomer's commit index reaches the leader's as it was right after the change.
        ReplicaState? leader = nodes.TryGetValue(client.Leader, out IPEndPoint? leaderAddress)
            ? ClusterQuery.Query(leaderAddress, [], TimeSpan.FromMilliseconds(500))
            : null;
        ulong target = Math.Max(learner.Index, leader?.Commit ?? 0);
        var clock = Stopwatch.StartNew();
        TimeSpan nextLine = TimeSpan.FromSeconds(1);
        ulong commit = 0;
        while (true)
        {
            ReplicaState? state = ClusterQuery.Query(node.Client, [], TimeSpan.FromMilliseconds(300), attempts: 1);
            commit = state?.Commit ?? commit;
            if (state is not null && state.Commit >= target)
            {
                break;
            }
            if (clock.Elapsed > catchUpTimeout || cancel.IsCancellationRequested)
            {
                e.WriteLine($"error: node {node.Id} did not catch up within {Report.Seconds(clock.Elapsed)} (commit {commit} of {target}); it stays a learner. "
                    + $"Is it running with --join and the cluster's key, and can it reach the members? (undo with --remove-node {node.Id})");
                return 1;
            }
            if (clock.Elapsed >= nextLine)
            {
                o.WriteLine(Report.Event(clock.Elapsed, state is null ? $"node {node.Id} does not answer on {node.Client} yet" : $"node {node.Id}: commit {commit} of {target}"));
                nextLine += TimeSpan.FromSeconds(1);
            }
            Thread.Sleep(100);
        }
        o.WriteLine($"node {node.Id} caught up (commit {commit} >= {target}); making it a voter");
        if (!TryChange(client, MembershipOp.Promote, node.Id, null, e, out MembershipReply voter))
        {
            return 1;
        }
        o.WriteLine($"node {node.Id} is a voter since index {voter.Index} ({Members(voter)})");
        return 0;
    }

    private static int Remove(MembershipClient client, ulong id, TextWriter o, TextWriter e)
    {
        if (!TryChange(client, MembershipOp.Remove, id, null, e, out MembershipReply removed))
        {
            return 1;
        }
        o.WriteLine($"node {id} removed at index {removed.Index} ({Members(removed)})");
        return 0;
    }

    /// <summary>Makes one change; on anything but Ok writes one line saying why and returns false.</summary>
    private static bool TryChange(MembershipClient client, MembershipOp op, ulong id, IPEndPoint? address, TextWriter e, out MembershipReply reply)
    {
        bool answered = client.TryChange(op, id, address, ChangeTimeout, out MembershipReply? r);
        reply = r!;
        if (answered && r!.Status == MembershipStatus.Ok)
        {
            return true;
        }
        string what = op switch
        {
            MembershipOp.AddLearner => $"adding node {id} as a learner",
            MembershipOp.Promote => $"making node {id} a voter",
            _ => $"removing node {id}",
        };
        e.WriteLine(r is null
            ? $"error: {what}: no node answered within {Report.Seconds(ChangeTimeout)} (are the --peers client addresses right?)"
            : r.Status switch
            {
                MembershipStatus.Unauthorized => $"error: {what}: node {r.NodeId} refused it as unauthorized: {r.Detail} (is the key the cluster's?)",
                MembershipStatus.Refused or MembershipStatus.BadRequest => $"error: {what}: node {r.NodeId} refused it: {r.Detail}",
                _ => $"error: {what}: not done within {Report.Seconds(ChangeTimeout)} (last answer: {r.Status}{(r.Detail.Length > 0 ? $", {r.Detail}" : "")})",
            });
        return false;
    }

    private static string Members(MembershipReply r) =>
        $"voters {string.Join(",", r.Voters)}" + (r.Learners.Count > 0 ? $"; learners {string.Join(",", r.Learners)}" : "");
}
