using System.Buffers;
using System.Net;
using FastRaft.Core.Storage;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Sample.Client;
using FastRaft.Sample.Cluster;
using FastRaft.Sample.Matching;
using FastRaft.Sample.Protocol;
using FastRaft.Storage;
using FastRaft.Tests.Udp;
using MessagePack;

namespace FastRaft.Tests.Sample;

/// <summary>Growing and guarding the sample cluster's membership through the client port, in-process.</summary>
[Trait("Category", "Integration")]
public class MembershipTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static async Task<LocalCluster> StartedClusterAsync()
    {
        var cluster = new LocalCluster(3, null);
        cluster.StartAll();
        if (!Wait.Until(() => cluster.Converged(), Timeout))
        {
            await cluster.DisposeAsync();
            Assert.Fail("no leader");
        }
        return cluster;
    }

    private static OrderClient Orders(IReadOnlyDictionary<ulong, IPEndPoint> nodes) =>
        new(new OrderClientOptions { Nodes = nodes, Instruments = RaftSettings.Instruments, Sessions = 4 });

    private static void AssertIdenticalReplicas(LocalCluster cluster, OrderClient client, int nodes)
    {
        Assert.True(Wait.Until(() => cluster.Converged(), Timeout), "the replicas did not converge");
        IReadOnlyList<ReplicaState> states = cluster.ReadStates(client.ClientIds);
        Assert.Equal(nodes, states.Count);
        CheckResult check = ClusterCheck.Verify(states, client.Outcomes, nodes);
        Assert.True(check.Passed, string.Join("\n", check.Problems));
    }

    [Fact]
    public async Task A_joining_node_is_added_as_learner_then_voter_catches_up_and_carries_on_after_the_leader_is_lost()
    {
        await using LocalCluster cluster = await StartedClusterAsync();
        using (OrderClient before = Orders(cluster.ClientEndPoints))
        {
            Assert.True(before.Run(TimeSpan.FromMilliseconds(400)));
        }

        SampleNode joiner = cluster.Join(4);
        using var admin = new MembershipClient(cluster.ClientEndPoints.Where(n => n.Key != 4).ToDictionary(), cluster.ClusterKey);
        Assert.True(admin.TryChange(MembershipOp.AddLearner, 4, joiner.RaftEndPoint, Timeout, out MembershipReply? learner));
        Assert.Equal(MembershipStatus.Ok, learner!.Status);
        Assert.Equal([1UL, 2UL, 3UL], learner.Voters);
        Assert.Equal([4UL], learner.Learners);
        // Nobody told the members where node 4 is: they read it from the change they applied.
        Assert.True(Wait.Until(() => cluster.Running.All(n => n.Members.IsLearner(4)), Timeout));
        foreach (SampleNode n in cluster.Running.Where(n => n.Id != 4))
        {
            Assert.Equal(joiner.RaftEndPoint, n.Members.AddressOf(4));
        }
        Assert.True(Wait.Until(() => joiner.Raft.CommitIndex >= learner.Index, Timeout), $"the learner is at {joiner.Raft.CommitIndex} of {learner.Index}");

        Assert.True(admin.TryChange(MembershipOp.Promote, 4, null, Timeout, out MembershipReply? voter));
        Assert.Equal(MembershipStatus.Ok, voter!.Status);
        Assert.Equal([1UL, 2UL, 3UL, 4UL], voter.Voters);
        Assert.Empty(voter.Learners);
        Assert.True(Wait.Until(() => cluster.Running.All(n => n.Members.Voters.SequenceEqual([1UL, 2UL, 3UL, 4UL])), Timeout));

        using (OrderClient during = Orders(cluster.ClientEndPoints))
        {
            Assert.True(during.Run(TimeSpan.FromMilliseconds(400)));
            AssertIdenticalReplicas(cluster, during, 4);
        }

        // Without the old leader, three of four voters remain, node 4 among them: the new leader
        // must reach it by the address the change carried, or nothing commits.
        ulong lost = cluster.Leader!.Id;
        await cluster.StopAsync(lost);
        using OrderClient after = Orders(cluster.ClientEndPoints.Where(n => n.Key != lost).ToDictionary());
        Assert.True(after.Run(TimeSpan.FromMilliseconds(600)));
        Assert.True(after.Statistics.Acked > 0);
        AssertIdenticalReplicas(cluster, after, 3);
        Assert.Contains(cluster.Running, n => n.Id == 4);
    }

    [Fact]
    public async Task Membership_requests_need_the_cluster_key_a_fresh_signature_and_a_change_that_demotes_nobody()
    {
        await using LocalCluster cluster = await StartedClusterAsync();
        SampleNode leader = cluster.Leader!;
        var endPoint = new IPEndPoint(IPAddress.Loopback, 39_005);

        using (var stranger = new MembershipClient(cluster.ClientEndPoints, new byte[32]))
        {
            Assert.True(stranger.TryChange(MembershipOp.AddLearner, 5, endPoint, Timeout, out MembershipReply? r));
            Assert.Equal((MembershipStatus.Unauthorized, "not signed with this cluster's key"), (r!.Status, r.Detail));
        }
        using (var unsigned = new MembershipClient(cluster.ClientEndPoints, clusterKey: null))
        {
            Assert.True(unsigned.TryChange(MembershipOp.Remove, 2, null, Timeout, out MembershipReply? r));
            Assert.Equal(MembershipStatus.Unauthorized, r!.Status);
        }

        using var admin = new MembershipClient(cluster.ClientEndPoints, cluster.ClusterKey);
        Assert.True(admin.TryChange(MembershipOp.AddLearner, 2, endPoint, Timeout, out MembershipReply? demote));
        Assert.Equal(MembershipStatus.Refused, demote!.Status);
        Assert.Contains("node 2 is already a voter: a node that lost its data must join under a new id", demote.Detail);
        Assert.True(admin.TryChange(MembershipOp.Promote, 9, null, Timeout, out MembershipReply? stranger9));
        Assert.Equal((MembershipStatus.Refused, "node 9 is not a member: add it (as a learner) first"), (stranger9!.Status, stranger9.Detail));

        // A signature from two minutes ago is a replay (or a clock far off): refused.
        byte[] key = MembershipAuthentication.DeriveKey(cluster.ClusterKey);
        MembershipReply stale = Exchange(leader, Request(7, MembershipOp.AddLearner, 5, endPoint, DateTimeOffset.UtcNow.AddMinutes(-2), key));
        Assert.Equal(MembershipStatus.Unauthorized, stale.Status);
        Assert.Contains("away from this node's clock", stale.Detail);

        // The same signed request twice: applied once, the second answered from memory.
        byte[] request = Request(8, MembershipOp.AddLearner, 5, endPoint, DateTimeOffset.UtcNow, key);
        MembershipReply first = Exchange(leader, request);
        MembershipReply again = Exchange(leader, request);
        Assert.Equal(MembershipStatus.Ok, first.Status);
        Assert.Equal((first.Status, first.Index, first.NodeId), (again.Status, again.Index, again.NodeId));
        Assert.Equal(first.Voters, again.Voters);
        Assert.Equal([5UL], again.Learners);

        foreach (SampleNode n in cluster.Running)
        {
            Assert.True(Wait.Until(() => n.Members.IsLearner(5), Timeout));
            Assert.Equal([1UL, 2UL, 3UL], n.Members.Voters);
        }
        Assert.Equal(3, cluster.Running.Sum(n => n.ClientPort.Unauthorized));
        Assert.Equal(0, cluster.Running.Sum(n => n.ClientPort.HandlerFaults));

        Assert.True(admin.TryChange(MembershipOp.Remove, 5, null, Timeout, out MembershipReply? removed));
        Assert.Equal(MembershipStatus.Ok, removed!.Status);
        Assert.Empty(removed.Learners);
        // Once removed, an id stays retired.
        Assert.True(admin.TryChange(MembershipOp.AddLearner, 5, endPoint, Timeout, out MembershipReply? back));
        Assert.Equal((MembershipStatus.Refused, "node 5 was removed from this cluster, and a removed id is never reused: add the node under a new id"), (back!.Status, back.Detail));
    }

    [Fact]
    public async Task A_change_asked_for_while_another_is_applied_is_answered_retry_and_goes_through_on_retry()
    {
        // The core refuses a change while another is still being applied. That is transient, so the
        // leader must answer "retry" (Unavailable), not a final refusal an administrator would believe.
        await using LocalCluster cluster = await StartedClusterAsync();
        SampleNode leader = cluster.Leader!;
        byte[] key = MembershipAuthentication.DeriveKey(cluster.ClusterKey);
        // Pipelined on one connection: the four arrive together.
        using ClientConnection connection = GatewayExchange.Connect(leader.ClientEndPoint);
        const int Changes = 4;
        for (int i = 0; i < Changes; i++)
        {
            connection.Queue(Request(20 + (ulong)i, MembershipOp.AddLearner, 5 + (ulong)i,
                new IPEndPoint(IPAddress.Loopback, 39_010 + i), DateTimeOffset.UtcNow, key));
        }
        Assert.True(connection.Flush());
        var replies = new List<MembershipReply>();
        while (replies.Count < Changes)
        {
            var reader = new MessagePackReader(GatewayExchange.Receive(connection));
            Assert.True(ClientProtocol.TryReadReplyHeader(ref reader, out byte kind, out ulong id, out int fields));
            Assert.Equal(ClientProtocol.KindMembership, kind);
            Assert.True(ClientProtocol.TryReadMembershipReply(ref reader, id, fields, out MembershipReply? reply));
            replies.Add(reply!);
        }
        Assert.Contains(replies, r => r.Status == MembershipStatus.Ok);
        Assert.All(replies, r => Assert.True(r.Status is MembershipStatus.Ok or MembershipStatus.Unavailable, $"{r.Status}: {r.Detail}"));

        using var admin = new MembershipClient(cluster.ClientEndPoints, cluster.ClusterKey);
        for (int i = 0; i < Changes; i++)
        {
            Assert.True(admin.TryChange(MembershipOp.AddLearner, 5 + (ulong)i, new IPEndPoint(IPAddress.Loopback, 39_010 + i), Timeout, out MembershipReply? r));
            Assert.Equal(MembershipStatus.Ok, r!.Status);
        }
        foreach (SampleNode n in cluster.Running)
        {
            Assert.True(Wait.Until(() => n.Members.Learners.Length == Changes, Timeout));
        }
    }

    [Fact]
    public void The_member_directory_travels_in_snapshots_and_an_engine_only_snapshot_still_restores()
    {
        var original = new ClusterStateMachine(new MatchingStateMachine(RaftSettings.Instruments), new MemoryStorage());
        original.Members.Apply(new ConfState { Voters = [1, 2, 3, 4], Learners = [6] }, 4, IPEndPoint.Parse("10.0.0.4:7004"));
        original.Members.Apply(new ConfState { Voters = [1, 2, 3, 4], Learners = [6, 7] }, 7, IPEndPoint.Parse("[::1]:7007"));
        original.Members.Apply(new ConfState { Voters = [1, 2, 3, 4], Learners = [7] }, 6, null);
        byte[] order = CommandCodec.Encode(OrderCommand.Limit(9, 1, 1, Side.Buy, 100, 3));
        original.Apply([new Entry(1, 5, EntryType.Normal, order)], new CommandResult[1]);

        var restored = new ClusterStateMachine(new MatchingStateMachine(RaftSettings.Instruments), new MemoryStorage());
        restored.RestoreSnapshot(new MemoryStream(Snapshot(original.SaveSnapshot)));
        Assert.Equal([1UL, 2UL, 3UL, 4UL], restored.Members.Voters);
        Assert.Equal([7UL], restored.Members.Learners);
        Assert.Equal([6UL], restored.Members.Removed);
        Assert.Equal([4UL, 7UL], restored.Members.Addresses.Select(a => a.Key));
        Assert.Equal(original.Members.Addresses, restored.Members.Addresses);
        Assert.Equal(original.Matching.HashState().Hash, restored.Matching.HashState().Hash);
        Assert.Equal(5UL, restored.Matching.LastIndex);

        // Written by the matching engine alone, as before the directory existed.
        var legacy = new ClusterStateMachine(new MatchingStateMachine(RaftSettings.Instruments), new MemoryStorage());
        legacy.RestoreSnapshot(new MemoryStream(Snapshot(original.Matching.SaveSnapshot)));
        Assert.Empty(legacy.Members.Voters);
        Assert.Equal(original.Matching.HashState().Hash, legacy.Matching.HashState().Hash);

        byte[] broken = Snapshot(original.SaveSnapshot);
        broken[2] = 0xDD; // the directory's version becomes an array32 header claiming more than there is
        Assert.Throws<InvalidDataException>(() => legacy.RestoreSnapshot(new MemoryStream(broken)));
    }

    [Fact]
    public void The_node_state_machine_validates_snapshots_exactly_as_it_restores_them_without_touching_its_state()
    {
        var original = new ClusterStateMachine(new MatchingStateMachine(RaftSettings.Instruments), new MemoryStorage());
        original.Members.Apply(new ConfState { Voters = [1, 2, 3, 4] }, 4, IPEndPoint.Parse("10.0.0.4:7004"));
        byte[] order = CommandCodec.Encode(OrderCommand.Limit(9, 1, 1, Side.Buy, 100, 3));
        original.Apply([new Entry(1, 5, EntryType.Normal, order)], new CommandResult[1]);
        byte[] good = Snapshot(original.SaveSnapshot);
        var live = new ClusterStateMachine(new MatchingStateMachine(RaftSettings.Instruments), new MemoryStorage());
        byte[] before = live.Matching.HashState().Hash;

        Assert.True(live.ValidateSnapshot(good).Succeeded);
        Assert.True(live.ValidateSnapshot(Snapshot(original.Matching.SaveSnapshot)).Succeeded);
        Assert.True(live.ValidateSnapshot(ReadOnlyMemory<byte>.Empty).Succeeded);
        var damaged = new List<byte[]> { (byte[])[.. good, 7] };
        for (int n = 1; n < good.Length; n++)
        {
            damaged.Add(good[..n]);
        }
        foreach (byte[] data in damaged)
        {
            SnapshotValidationResult verdict = live.ValidateSnapshot(data);
            var scratch = new ClusterStateMachine(new MatchingStateMachine(RaftSettings.Instruments), new MemoryStorage());
            bool restores = true;
            try
            {
                scratch.RestoreSnapshot(new MemoryStream(data));
            }
            catch (InvalidDataException)
            {
                restores = false;
            }
            Assert.Equal(restores, verdict.Succeeded);
            Assert.False(verdict.Succeeded, $"a damaged snapshot of {data.Length} bytes was accepted");
        }
        Assert.Equal(before, live.Matching.HashState().Hash);
        Assert.Empty(live.Members.Voters);
    }

    private static byte[] Snapshot(Action<Stream> save)
    {
        using var stream = new MemoryStream();
        save(stream);
        return stream.ToArray();
    }

    private static byte[] Request(ulong requestId, MembershipOp op, ulong node, IPEndPoint? address, DateTimeOffset signedAt, byte[] key)
    {
        var buffer = new ArrayBufferWriter<byte>();
        ClientProtocol.WriteMembership(buffer, requestId, op, node, address, signedAt.ToUnixTimeMilliseconds(), key);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Sends one membership request to <paramref name="node"/> over a connection of its own and returns its answer.</summary>
    private static MembershipReply Exchange(SampleNode node, byte[] request)
    {
        using ClientConnection c = GatewayExchange.Connect(node.ClientEndPoint);
        return GatewayExchange.Membership(c, request);
    }
}
