using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Tests.Node;

/// <summary>
/// Linearizable reads (etcd's ReadIndex tests in raft_test.go and rawnode_test.go): answered at
/// the commit index once leadership is confirmed by a heartbeat round (ReadOnlyOption.Safe) or at once
/// (ReadOnlyOption.LeaseBased), forwarded from followers, held back on a new leader.
/// </summary>
public class ReadIndexTests
{
    private static readonly byte[] Payload = "x"u8.ToArray();

    private static ReadState Rs(ulong index, string ctx) => new(index, System.Text.Encoding.UTF8.GetBytes(ctx));

    private static byte[] Bytes(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Safe_read_on_the_leader_is_answered_with_the_commit_index_after_a_heartbeat_round()
    {
        var c = new CoreTestCluster(3);
        c.Elect(1);
        c.ProposeMany(1, 10, Payload);
        Assert.Equal(12UL, c.Commit(1));

        c.Nodes[1].ReadIndex(Bytes("ctx1"));
        c.ProcessReady(1);
        // Not answered yet: leadership must be confirmed first, by heartbeats carrying a context.
        Assert.Empty(c.ReadStatesOf(1));
        List<Message> beats = c.InFlight.FindAll(m => m.Type == MessageType.Heartbeat);
        Assert.Equal(2, beats.Count);
        Assert.All(beats, m => Assert.False(m.Context.IsEmpty));

        c.Stabilize();
        Assert.Equal([Rs(12, "ctx1")], c.ReadStatesOf(1));
    }

    [Fact]
    public void Safe_read_waits_for_a_quorum_of_heartbeat_responses()
    {
        var c = new CoreTestCluster(3);
        c.Elect(1);

        c.Nodes[1].ReadIndex(Bytes("r"));
        c.Stabilize(TestClusterExtensions.Dropping(MessageType.HeartbeatResponse));
        Assert.Empty(c.ReadStatesOf(1));

        // One follower's answer to the next heartbeat round is a quorum with the leader.
        c.Nodes[1].Tick();
        c.Stabilize(m => m.Type == MessageType.HeartbeatResponse && m.From == 3);
        Assert.Equal([Rs(2, "r")], c.ReadStatesOf(1));
    }

    [Fact]
    public void One_heartbeat_round_confirms_every_read_queued_before_it()
    {
        var c = new CoreTestCluster(3);
        c.Elect(1);
        c.ProposeMany(1, 3, Payload);
        RawNode leader = c.Nodes[1];

        leader.ReadIndex(Bytes("a"));
        leader.ReadIndex(Bytes("b"));
        leader.ReadIndex(Bytes("c"));
        c.ProcessReady(1);
        List<Message> toTwo = c.Take(m => m.To == 2 && m.Type == MessageType.Heartbeat);
        List<Message> toThree = c.Take(m => m.To == 3 && m.Type == MessageType.Heartbeat);
        Assert.Equal(3, toTwo.Count);
        Assert.Equal(3, toThree.Count);

        // Node 2 answers the first heartbeat only: that confirms the first read alone.
        c.Nodes[2].Step(toTwo[0]);
        c.Stabilize();
        Assert.Equal([Rs(5, "a")], c.ReadStatesOf(1));

        // Node 3 answers the last one: it confirms the other two at once, in order.
        c.Nodes[3].Step(toThree[2]);
        c.Stabilize();
        Assert.Equal([Rs(5, "a"), Rs(5, "b"), Rs(5, "c")], c.ReadStatesOf(1));
    }

    [Fact]
    public void Read_on_a_follower_is_forwarded_and_answered_on_the_follower()
    {
        var c = new CoreTestCluster(3);
        c.Elect(1);
        c.ProposeMany(1, 4, Payload);

        var seen = new List<(MessageType Type, ulong From, ulong To)>();
        c.Nodes[2].ReadIndex(Bytes("ctx2"));
        c.Stabilize(m =>
        {
            seen.Add((m.Type, m.From, m.To));
            return false;
        });

        Assert.Contains((MessageType.ReadIndex, 2UL, 1UL), seen);
        Assert.Contains((MessageType.ReadIndexResponse, 1UL, 2UL), seen);
        Assert.True(seen.IndexOf((MessageType.ReadIndex, 2UL, 1UL)) < seen.IndexOf((MessageType.ReadIndexResponse, 1UL, 2UL)));
        Assert.Equal([Rs(6, "ctx2")], c.ReadStatesOf(2));
        Assert.Empty(c.ReadStatesOf(1));
    }

    [Fact]
    public void Read_on_a_follower_without_a_leader_is_dropped()
    {
        var c = new CoreTestCluster(3);
        c.Nodes[2].ReadIndex(Bytes("lost"));
        Assert.False(c.Nodes[2].HasReady());
        c.Elect(1);
        Assert.Empty(c.ReadStatesOf(2));
    }

    [Fact]
    public void Lease_based_read_is_answered_at_once_without_a_heartbeat_round()
    {
        var c = new CoreTestCluster(3, cfg => cfg with { CheckQuorum = true, ReadOnlyOption = ReadOnlyOption.LeaseBased });
        c.Elect(1);
        c.ProposeMany(1, 10, Payload);

        c.Nodes[1].ReadIndex(Bytes("ctx1"));
        c.ProcessReady(1);
        Assert.Equal([Rs(12, "ctx1")], c.ReadStatesOf(1));
        Assert.DoesNotContain(c.InFlight, m => m.Type == MessageType.Heartbeat);

        // A follower's read is answered by the leader without heartbeats either.
        c.ProposeMany(1, 5, Payload);
        c.Nodes[3].ReadIndex(Bytes("ctx3"));
        c.Stabilize(TestClusterExtensions.Dropping(MessageType.Heartbeat));
        Assert.Equal([Rs(17, "ctx3")], c.ReadStatesOf(3));
    }

    [Fact]
    public void New_leader_postpones_reads_until_it_commits_an_entry_of_its_term()
    {
        var c = new CoreTestCluster(3);
        c.Elect(1);
        RawNode n2 = c.Nodes[2];
        n2.Campaign();
        // Elected at term 2, but its empty entry never reaches anyone: its commit index (2)
        // is of term 1, possibly stale.
        Func<Message, bool> noAppends = TestClusterExtensions.Dropping(MessageType.Append);
        c.Stabilize(noAppends);
        Assert.Equal(NodeRole.Leader, c.State(2));
        Assert.Equal(2UL, c.Term(2));
        Assert.Equal(2UL, c.Commit(2));

        n2.ReadIndex(Bytes("ctx"));
        c.ProcessReady(2);
        Assert.DoesNotContain(c.InFlight, m => m.Type == MessageType.Heartbeat);
        // Heartbeat rounds alone do not release it.
        c.Tick(2, 3, noAppends);
        Assert.Empty(c.ReadStatesOf(2));

        // Once the term's first entry commits, the postponed read is served at that index.
        c.Tick(2, 1);
        Assert.Equal(3UL, c.Commit(2));
        Assert.Equal([Rs(3, "ctx")], c.ReadStatesOf(2));

        // Later reads go through without delay.
        n2.ReadIndex(Bytes("ctx"));
        c.Stabilize();
        Assert.Equal([Rs(3, "ctx"), Rs(3, "ctx")], c.ReadStatesOf(2));
    }

    [Fact]
    public void Single_voter_answers_a_read_in_the_next_ready_without_messages()
    {
        var c = new CoreTestCluster(1);
        c.Elect(1);
        c.ProposeMany(1, 2, Payload);

        c.Nodes[1].ReadIndex(Bytes("solo"));
        Assert.True(c.Nodes[1].HasReady());
        c.ProcessReady(1);
        Assert.Equal([Rs(4, "solo")], c.ReadStatesOf(1));
        Assert.Empty(c.InFlight);
    }

    [Fact]
    public void Learner_read_is_forwarded_to_a_single_voter_and_answered()
    {
        var c = new CoreTestCluster(0);
        var conf = new ConfState { Voters = [1], Learners = [2] };
        c.AddNode(1, conf);
        c.AddNode(2, conf);
        c.Elect(1);
        c.ProposeMany(1, 3, Payload);
        Assert.Equal(c.Commit(1), c.Commit(2));

        c.Nodes[2].ReadIndex(Bytes("learner"));
        c.Stabilize();
        Assert.Equal([Rs(5, "learner")], c.ReadStatesOf(2));
    }

    [Fact]
    public void Read_context_is_copied_so_the_caller_may_reuse_its_buffer()
    {
        var c = new CoreTestCluster(3);
        c.Elect(1);
        byte[] buffer = Bytes("first");
        c.Nodes[1].ReadIndex(buffer);
        "XXXXX"u8.CopyTo(buffer);
        c.Stabilize();
        Assert.Equal([Rs(2, "first")], c.ReadStatesOf(1));

        // The same holds for a read forwarded by a follower.
        byte[] fwd = Bytes("second");
        c.Nodes[2].ReadIndex(fwd);
        "YYYYYY"u8.CopyTo(fwd);
        c.Stabilize();
        Assert.Equal([Rs(2, "second")], c.ReadStatesOf(2));
    }
}
