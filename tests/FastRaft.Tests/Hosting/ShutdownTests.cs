using FastRaft.Hosting;

namespace FastRaft.Tests.Hosting;

public class ShutdownTests
{
    [Fact]
    public async Task Stopping_a_leader_that_cannot_commit_fails_every_outstanding_request()
    {
        await using var cluster = new TestHostCluster(3);
        cluster.StartAll();
        RaftNode<ulong> leader = await cluster.WaitForLeaderAsync();
        ulong follower = cluster.Members.First(id => id != leader.Id);
        cluster.Network.Isolate(leader.Id);

        var proposals = new Task<ProposeResult<ulong>>[200];
        for (int i = 0; i < proposals.Length; i++)
        {
            proposals[i] = leader.ProposeAsync(RecordingStateMachine.Payload((ulong)i + 1)).AsTask();
        }
        Task<ReadResult> read = leader.ReadIndexAsync().AsTask();
        Task<MembershipResult> change = leader.AddLearnerAsync(9).AsTask();
        Task<TransferResult> transfer = leader.TransferLeadershipAsync(follower).AsTask();
        await TestHostCluster.Eventually(() => leader.Counters.ProposalsAccepted + leader.Counters.ProposalsFailed >= proposals.Length, "the proposals to reach the node");

        await cluster.StopAsync(leader.Id);

        ProposeResult<ulong>[] results = await Task.WhenAll(proposals).WaitAsync(TestHostCluster.Timeout);
        // None could commit. Appended ones fail at shutdown; if check-quorum deposed the leader
        // first, later ones were refused as NotLeader (or dropped during the transfer).
        Assert.All(results, r => Assert.Contains(r.Status, new[] { RequestStatus.ShuttingDown, RequestStatus.NotLeader, RequestStatus.Dropped }));
        Assert.True(results.Count(r => r.Status == RequestStatus.ShuttingDown) > 0);
        Assert.NotEqual(RequestStatus.Ok, (await read.WaitAsync(TestHostCluster.Timeout)).Status);
        Assert.NotEqual(RequestStatus.Ok, (await change.WaitAsync(TestHostCluster.Timeout)).Status);
        Assert.NotEqual(RequestStatus.Ok, (await transfer.WaitAsync(TestHostCluster.Timeout)).Status);
    }

    [Fact]
    public async Task Stopping_under_a_flood_of_proposals_completes_each_one()
    {
        var sm = new RecordingStateMachine();
        RaftNode<ulong> node = await SingleNodeHost.StartAsync(sm);
        int ok = 0;
        int shuttingDown = 0;
        int other = 0;
        using var started = new CountdownEvent(8);
        Task[] producers = new Task[8];
        for (int p = 0; p < producers.Length; p++)
        {
            ulong first = (ulong)p << 32;
            producers[p] = Task.Run(async () =>
            {
                started.Signal();
                var window = new List<Task<ProposeResult<ulong>>>();
                for (ulong i = 0; ; i++)
                {
                    window.Add(node.ProposeAsync(RecordingStateMachine.Payload(first + i)).AsTask());
                    if (window.Count < 64)
                    {
                        continue;
                    }
                    ProposeResult<ulong>[] rs = await Task.WhenAll(window).WaitAsync(TestHostCluster.Timeout);
                    window.Clear();
                    foreach (ProposeResult<ulong> r in rs)
                    {
                        if (r.Status == RequestStatus.Ok)
                        {
                            Interlocked.Increment(ref ok);
                        }
                        else if (r.Status == RequestStatus.ShuttingDown)
                        {
                            Interlocked.Increment(ref shuttingDown);
                        }
                        else
                        {
                            Interlocked.Increment(ref other);
                        }
                    }
                    if (rs[^1].Status == RequestStatus.ShuttingDown)
                    {
                        return;
                    }
                }
            });
        }
        started.Wait(TestHostCluster.Timeout);
        await TestHostCluster.Eventually(() => Volatile.Read(ref ok) > 1000, "some proposals to commit");

        await node.StopAsync().WaitAsync(TestHostCluster.Timeout);
        await Task.WhenAll(producers).WaitAsync(TestHostCluster.Timeout);

        Assert.Equal(0, other);
        Assert.True(shuttingDown > 0);
        Assert.Equal((ulong)ok, sm.State.Count);
        Assert.Null(node.Fault);
    }

    [Fact]
    public async Task After_stopping_every_request_fails_at_once_as_shutting_down()
    {
        var sm = new RecordingStateMachine();
        RaftNode<ulong> node = await SingleNodeHost.StartAsync(sm);
        await node.StopAsync().WaitAsync(TestHostCluster.Timeout);

        Assert.Equal(RequestStatus.ShuttingDown, (await node.ProposeAsync(new byte[8])).Status);
        Assert.Equal(RequestStatus.ShuttingDown, (await node.ReadIndexAsync()).Status);
        Assert.Equal(RequestStatus.ShuttingDown, (await node.AddVoterAsync(2)).Status);
        Assert.Equal(RequestStatus.ShuttingDown, (await node.TransferLeadershipAsync(2)).Status);
        Assert.True(node.Completion.IsCompletedSuccessfully);
        await node.DisposeAsync(); // idempotent
    }

    [Fact]
    public async Task Wakes_after_the_node_stopped_are_harmless()
    {
        RaftNode<ulong> node = await SingleNodeHost.StartAsync(new RecordingStateMachine());
        await node.StopAsync().WaitAsync(TestHostCluster.Timeout);

        // A producer that queued just before the node closed its inbox wakes a node that is gone.
        node.Agent.WaitSource.Wake();
        node.Agent.WaitSource.Wake();
        Assert.Equal(RequestStatus.ShuttingDown, (await node.ProposeAsync(new byte[8])).Status);
        await node.StopAsync().WaitAsync(TestHostCluster.Timeout);
        await node.DisposeAsync();
        Assert.True(node.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_node_stopped_before_starting_completes_and_cannot_start()
    {
        var network = new FastRaft.Hosting.InMemory.InMemoryNetwork();
        var node = new RaftNode<ulong>(SingleNodeHost.Options(1), new FastRaft.Storage.MemoryStorage(), network.CreateTransport(1), new RecordingStateMachine());
        await node.StopAsync().WaitAsync(TestHostCluster.Timeout);
        Assert.Equal(RequestStatus.ShuttingDown, (await node.ProposeAsync(new byte[8])).Status);
        Assert.Throws<ObjectDisposedException>(node.Start);
    }
}
