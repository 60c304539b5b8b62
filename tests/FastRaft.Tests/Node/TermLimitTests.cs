using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Tests.Node;

/// <summary>
/// Terms never wrap around: a message above <see cref="RaftLimits.MaxTerm"/> is refused, a node
/// at the bound does not campaign (the next term would be past it), and storage holding a term
/// or commit index no honest node could have written is refused when the node is built.
/// </summary>
public class TermLimitTests
{
    private static readonly byte[] Payload = "data"u8.ToArray();

    private static TestCluster SettledCluster(bool preVote = false, ulong startTerm = 0)
    {
        var c = new TestCluster(3, cfg =>
        {
            if (startTerm > 0)
            {
                Assert.Equal(StorageStatus.Ok, ((MemoryStorage)cfg.Storage!).SetHardState(new HardState(startTerm, 0, 1)));
            }
            return cfg with { PreVote = preVote };
        });
        c.Elect(1);
        c.ProposeMany(1, 3, Payload);
        return c;
    }

    public static TheoryData<ulong> TermsPastTheBound => new() { RaftLimits.MaxTerm + 1, ulong.MaxValue };

    [Theory]
    [MemberData(nameof(TermsPastTheBound))]
    public void Messages_with_a_term_past_the_bound_are_refused_whatever_their_type(ulong term)
    {
        TestCluster c = SettledCluster();
        ulong last = c.Nodes[2].LastIndex;
        ulong termBefore = c.Term(2);
        var snapshot = new Snapshot(Payload, new SnapshotMetadata(new ConfState { Voters = [1, 2, 3] }, last + 10, 2));
        Message[] forged =
        [
            new() { Type = MessageType.Heartbeat, From = 1, To = 2, Term = term, Commit = last },
            new() { Type = MessageType.Append, From = 1, To = 2, Term = term, Index = last, LogTerm = 2 },
            new() { Type = MessageType.Vote, From = 3, To = 2, Term = term, Index = last + 5, LogTerm = 2 },
            new() { Type = MessageType.PreVote, From = 3, To = 2, Term = term, Index = last + 5, LogTerm = 2 },
            new() { Type = MessageType.Snapshot, From = 1, To = 2, Term = term, Snapshot = snapshot },
            new() { Type = MessageType.TimeoutNow, From = 1, To = 2, Term = term },
            new() { Type = MessageType.AppendResponse, From = 3, To = 2, Term = term },
        ];
        foreach (Message m in forged)
        {
            PeerMessageRefusalTests.AssertRefused(c.Nodes[2], m, StepResult.RefusedTermTooHigh);
        }
        // The leader's step-down path (a response from a later term) is closed too.
        PeerMessageRefusalTests.AssertRefused(c.Nodes[1], new Message { Type = MessageType.HeartbeatResponse, From = 2, To = 1, Term = term }, StepResult.RefusedTermTooHigh);
        Assert.Equal(forged.Length, c.Nodes[2].Refusals.TermTooHigh);
        Assert.Equal(termBefore, c.Term(2));

        c.ProposeMany(1, 1, Payload);
        Assert.Equal(c.Commit(1), c.Commit(2));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_node_moved_to_the_maximum_term_follows_but_never_campaigns(bool preVote)
    {
        TestCluster c = SettledCluster(preVote);
        RawNode node = c.Nodes[2];
        // The bound itself is a valid term.
        Assert.Equal(StepResult.Ok, node.Step(new Message { Type = MessageType.Heartbeat, From = 1, To = 2, Term = RaftLimits.MaxTerm, Commit = 5 }));
        c.ProcessReady(2);
        Assert.Equal(RaftLimits.MaxTerm, c.Storages[2].HardState.Term);
        c.InFlight.Clear();

        // Its leader is gone: its election timeout passes again and again, and it stays put.
        for (int i = 0; i < 100; i++)
        {
            c.Tick(2);
        }
        Assert.Equal(StepResult.Ok, node.Campaign());
        c.ProcessReady(2);
        Assert.Equal(StepResult.Ok, node.Step(new Message { Type = MessageType.TimeoutNow, From = 1, To = 2, Term = RaftLimits.MaxTerm }));
        c.ProcessReady(2);

        Assert.DoesNotContain(c.InFlight, m => m.Type is MessageType.Vote or MessageType.PreVote);
        Assert.Equal(NodeRole.Follower, c.State(2));
        Assert.Equal(RaftLimits.MaxTerm, c.Term(2));
        Assert.Equal(RaftLimits.MaxTerm, c.Storages[2].HardState.Term);
    }

    [Fact]
    public void A_cluster_that_reaches_the_maximum_term_keeps_its_leader_working_but_cannot_elect_past_it()
    {
        TestCluster c = SettledCluster(startTerm: RaftLimits.MaxTerm - 1);
        Assert.Equal(RaftLimits.MaxTerm, c.Term(1));
        Assert.Equal(NodeRole.Leader, c.State(1));
        Assert.Equal(c.Commit(1), c.Commit(3));

        // The leader is cut off; the others time out but cannot start term MaxTerm + 1.
        for (int i = 0; i < 50; i++)
        {
            c.Tick(2);
            c.Tick(3);
            c.Stabilize(TestClusterExtensions.Isolating(1));
        }
        Assert.Equal(NodeRole.Follower, c.State(2));
        Assert.Equal(NodeRole.Follower, c.State(3));
        Assert.Equal(RaftLimits.MaxTerm, c.Term(2));
        Assert.Equal(RaftLimits.MaxTerm, c.Term(3));

        // Back in touch, the leader of term MaxTerm still commits.
        c.Tick(1, 1);
        c.ProposeMany(1, 2, Payload);
        Assert.Equal(c.Commit(1), c.Commit(2));
        Assert.Equal(c.Nodes[1].LastIndex, c.Commit(3));
    }

    private static RaftConfig Config(MemoryStorage storage) => new()
    {
        Id = 1,
        ElectionTick = 10,
        HeartbeatTick = 1,
        Storage = storage,
        MaxSizePerMsg = ulong.MaxValue,
        Random = new Random(5),
    };

    private static MemoryStorage StorageWith(HardState hs)
    {
        var storage = new MemoryStorage();
        Assert.Equal(StorageStatus.Ok, storage.ApplySnapshot(new Snapshot(ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(new ConfState { Voters = [1, 2, 3] }, 1, 1))));
        Assert.Equal(StorageStatus.Ok, storage.Append([new Entry(1, 2), new Entry(2, 3)]));
        Assert.Equal(StorageStatus.Ok, storage.SetHardState(hs));
        return storage;
    }

    [Theory]
    [InlineData(ulong.MaxValue, 3UL, "term 18446744073709551615 is above the maximum term")]
    [InlineData(RaftLimits.MaxTerm + 1, 3UL, "term 4611686018427387905 is above the maximum term")]
    [InlineData(2UL, 4UL, "commit index 4 is outside the stored log [1, 3]")]
    [InlineData(2UL, ulong.MaxValue, "commit index 18446744073709551615 is outside the stored log [1, 3]")]
    public void A_node_is_not_built_from_storage_whose_hard_state_no_honest_node_could_have_written(ulong term, ulong commit, string problem)
    {
        MemoryStorage storage = StorageWith(new HardState(term, 1, commit));
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => new RawNode(Config(storage)));
        Assert.Contains("raft node 1 cannot start from its storage", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void A_node_at_the_maximum_term_restarts()
    {
        MemoryStorage storage = StorageWith(new HardState(RaftLimits.MaxTerm, 1, 3));
        var node = new RawNode(Config(storage));
        Assert.Equal(new HardState(RaftLimits.MaxTerm, 1, 3), node.BasicStatus().HardState);
    }
}
