using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;

namespace FastRaft.Tests.Node;

/// <summary>
/// A snapshot message the core cannot take (a configuration that does not restore, an index past
/// the bound, a term later than its message's) is refused before the log is touched: etcd would
/// restore the log and then panic on the configuration, with the snapshot already handed out for
/// persisting. Whether the application can restore the snapshot's data is the host's check.
/// </summary>
public class SnapshotRefusalTests
{
    private static readonly byte[] Data = "state"u8.ToArray();

    private static TestCluster SettledCluster()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        c.ProposeMany(1, 2, Data);
        return c;
    }

    private static Message SnapshotMessage(TestCluster c, ConfState cs, ulong index, ulong? term = null)
    {
        ulong t = term ?? c.Term(1);
        return new Message
        {
            Type = MessageType.Snapshot,
            From = 1,
            To = 2,
            Term = c.Term(1),
            Snapshot = new Snapshot(Data, new SnapshotMetadata(cs, index, t)),
        };
    }

    public static TheoryData<string, ConfState> UnrestorableConfigurations => new()
    {
        { "learners only (no voter left)", new ConfState { Learners = [1, 2, 3] } },
        { "a voter also listed as learner", new ConfState { Voters = [1, 2, 3], Learners = [2] } },
        { "staged learners outside a joint configuration", new ConfState { Voters = [1, 2, 3], LearnersNext = [4] } },
        { "auto-leave outside a joint configuration", new ConfState { Voters = [1, 2, 3], AutoLeave = true } },
    };

    [Theory]
    [MemberData(nameof(UnrestorableConfigurations))]
    public void A_snapshot_whose_configuration_cannot_be_restored_is_refused_before_the_log_changes(string what, ConfState cs)
    {
        _ = what;
        TestCluster c = SettledCluster();
        ulong last = c.Nodes[2].LastIndex;
        PeerMessageRefusalTests.AssertRefused(c.Nodes[2], SnapshotMessage(c, cs, last + 10), StepResult.RefusedInvalidSnapshot);
        Assert.Equal(1, c.Nodes[2].Refusals.InvalidSnapshot);

        c.ProposeMany(1, 1, Data);
        Assert.Equal(last + 1, c.Commit(2));
    }

    [Fact]
    public void A_snapshot_past_the_index_bound_or_from_a_later_term_than_its_message_is_refused()
    {
        TestCluster c = SettledCluster();
        var cs = new ConfState { Voters = [1, 2, 3] };
        PeerMessageRefusalTests.AssertRefused(c.Nodes[2], SnapshotMessage(c, cs, RaftLimits.MaxIndex + 1), StepResult.RefusedIndexTooHigh);
        PeerMessageRefusalTests.AssertRefused(c.Nodes[2], SnapshotMessage(c, cs, ulong.MaxValue), StepResult.RefusedIndexTooHigh);
        PeerMessageRefusalTests.AssertRefused(c.Nodes[2], SnapshotMessage(c, cs, c.Nodes[2].LastIndex + 10, term: c.Term(1) + 1), StepResult.RefusedInconsistentTerms);
    }

    [Fact]
    public void A_valid_snapshot_is_still_taken_for_persisting()
    {
        TestCluster c = SettledCluster();
        RawNode follower = c.Nodes[2];
        ulong index = follower.LastIndex + 10;
        Assert.Equal(StepResult.Ok, follower.Step(SnapshotMessage(c, new ConfState { Voters = [1, 2, 3] }, index)));

        // The node's next Ready persists it.
        Assert.True(c.ProcessReady(2));
        Assert.Equal(StorageStatus.Ok, c.Storages[2].Snapshot(out Snapshot stored));
        Assert.Equal(index, stored.Metadata.Index);
        Assert.Equal(index, c.Storages[2].HardState.Commit);
        Assert.Equal(index, c.Agents[2].AppliedIndex);
        Assert.Equal(0, follower.Refusals.Total);
    }
}
