using FastRaft.Core.Tracker;
using FastRaft.Diagnostics;
using FastRaft.Protocol;

namespace FastRaft.Tests.Diagnostics;

// Expected strings are copied from the etcd interaction scripts (without the harness indentation).
public class DescribeStateTests
{
    [Theory]
    [InlineData(LocalIds.None, "None")]
    [InlineData(LocalIds.LocalAppendThread, "AppendThread")]
    [InlineData(LocalIds.LocalApplyThread, "ApplyThread")]
    [InlineData(1UL, "1")]
    [InlineData(26UL, "1a")]
    [InlineData(0xdeadbeefUL, "deadbeef")]
    public void TargetNamesLocalThreadsAndPrintsIdsInHex(ulong id, string expected) =>
        Assert.Equal(expected, Describe.Target(id));

    [Fact]
    public void HardStateWithVote() =>
        Assert.Equal("Term:1 Vote:1 Commit:10", Describe.HardState(new HardState(1, 1, 10)));

    [Fact]
    public void HardStateWithoutVoteLeavesItOut() =>
        Assert.Equal("Term:1 Commit:4", Describe.HardState(new HardState(1, 0, 4)));

    [Fact]
    public void SoftState()
    {
        Assert.Equal("Lead:1 State:StateLeader", Describe.SoftState(new SoftState(1, NodeRole.Leader)));
        Assert.Equal("Lead:0 State:StatePreCandidate", Describe.SoftState(new SoftState(0, NodeRole.PreCandidate)));
    }

    [Theory]
    [InlineData(NodeRole.Follower, "StateFollower")]
    [InlineData(NodeRole.Candidate, "StateCandidate")]
    [InlineData(NodeRole.Leader, "StateLeader")]
    [InlineData(NodeRole.PreCandidate, "StatePreCandidate")]
    public void RolesGetEtcdsNames(NodeRole role, string expected) => Assert.Equal(expected, Describe.Role(role));

    [Theory]
    [InlineData(ProgressState.Probe, "StateProbe")]
    [InlineData(ProgressState.Replicate, "StateReplicate")]
    [InlineData(ProgressState.Snapshot, "StateSnapshot")]
    public void ProgressStatesGetEtcdsNames(ProgressState state, string expected) => Assert.Equal(expected, Describe.ProgressState(state));

    [Fact]
    public void SoftStatePrintsTheLeaderInDecimal() =>
        Assert.Equal("Lead:26 State:StateFollower", Describe.SoftState(new SoftState(26, NodeRole.Follower)));

    [Fact]
    public void ConfStateWithEmptyLists() =>
        Assert.Equal(
            "Voters:[1 2] VotersOutgoing:[] Learners:[] LearnersNext:[] AutoLeave:false",
            Describe.ConfState(new ConfState { Voters = [1, 2] }));

    [Fact]
    public void ConfStateJointAutoLeave() =>
        Assert.Equal(
            "Voters:[1 2 3] VotersOutgoing:[1] Learners:[4] LearnersNext:[5 6] AutoLeave:true",
            Describe.ConfState(new ConfState { Voters = [1, 2, 3], VotersOutgoing = [1], Learners = [4], LearnersNext = [5, 6], AutoLeave = true }));

    [Fact]
    public void Snapshot()
    {
        var snap = new Snapshot(ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(new ConfState { Voters = [2, 3, 4], VotersOutgoing = [1, 2, 3] }, 4, 1));
        Assert.Equal(
            "Index:4 Term:1 ConfState:Voters:[2 3 4] VotersOutgoing:[1 2 3] Learners:[] LearnersNext:[] AutoLeave:false",
            Describe.Snapshot(snap));
    }

    [Fact]
    public void ReadStatesLikeGoPercentV()
    {
        ReadState[] states = [new ReadState(5, "ctx"u8.ToArray()), new ReadState(6, ReadOnlyMemory<byte>.Empty)];
        Assert.Equal("[{5 [99 116 120]} {6 []}]", Describe.ReadStates(states));
        Assert.Equal("[]", Describe.ReadStates([]));
    }
}
