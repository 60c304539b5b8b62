using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Tests.Node;

/// <summary>The five behaviours from etcd's history that DESIGN.md requires, each with its own tests.</summary>
public class EtcdHistoryBehaviourTests
{
    private static readonly byte[] Payload = "x"u8.ToArray();

    // 1. Probe / snapshot pausing.

    [Fact]
    public void Probe_append_pauses_the_follower_until_a_heartbeat_response()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        RawNode leader = c.Nodes[1];
        // An unreachable report puts follower 2 back into StateProbe.
        leader.ReportUnreachable(2);
        Assert.Equal(FastRaft.Core.Tracker.ProgressState.Probe, leader.Status().Progress![2].State);

        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(StepResult.Ok, leader.Propose(Payload));
            c.ProcessReady(1);
        }
        List<Message> toTwo = c.Take(m => m.To == 2 && m.Type == MessageType.Append);
        // Exactly one probe went out; the other four proposals waited for the answer.
        Assert.Single(toTwo);
        Assert.True(leader.Status().Progress![2].MsgAppFlowPaused);

        // A heartbeat response resumes sending (one more probe).
        leader.Step(new Message { Type = MessageType.HeartbeatResponse, From = 2, To = 1, Term = leader.BasicStatus().HardState.Term });
        c.ProcessReady(1);
        Assert.Single(c.Take(m => m.To == 2 && m.Type == MessageType.Append));
    }

    [Fact]
    public void Snapshot_is_sent_once_and_never_duplicated_until_its_status_is_reported()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        RawNode leader = c.Nodes[1];
        MemoryStorage ls = c.Storages[1];

        // Follower 3 misses everything; the leader compacts past what it has.
        for (int i = 0; i < 10; i++)
        {
            leader.Propose(Payload);
            c.Stabilize(drop: m => m.To == 3 || m.From == 3);
        }
        ulong applied = leader.BasicStatus().Applied;
        Assert.Equal(StorageStatus.Ok, ls.CreateSnapshot(applied, new ConfState { Voters = [1, 2, 3] }, "snap"u8.ToArray(), out _));
        Assert.Equal(StorageStatus.Ok, ls.Compact(applied));

        // The leader learns 3 lost its appends (back to probing from its match), and a
        // heartbeat response makes it recently active and due for an append: the log no longer
        // has what 3 needs, so a snapshot goes out.
        c.InFlight.Clear();
        leader.ReportUnreachable(3);
        leader.Step(new Message { Type = MessageType.HeartbeatResponse, From = 3, To = 1, Term = leader.BasicStatus().HardState.Term });
        c.ProcessReady(1);
        List<Message> snaps = c.Take(m => m.To == 3 && m.Type == MessageType.Snapshot);
        Assert.Single(snaps);
        Assert.Equal(FastRaft.Core.Tracker.ProgressState.Snapshot, leader.Status().Progress![3].State);

        // More proposals, heartbeats and heartbeat responses: no second snapshot, no appends to 3.
        for (int i = 0; i < 3; i++)
        {
            leader.Propose(Payload);
            leader.Step(new Message { Type = MessageType.HeartbeatResponse, From = 3, To = 1, Term = leader.BasicStatus().HardState.Term });
            c.Tick(1);
        }
        Assert.Empty(c.Take(m => m.To == 3 && m.Type is MessageType.Snapshot or MessageType.Append));

        // A failed snapshot is reported: the leader probes, but waits for a heartbeat response first.
        leader.ReportSnapshot(3, SnapshotStatus.Failure);
        c.ProcessReady(1);
        Assert.Empty(c.Take(m => m.To == 3 && m.Type is MessageType.Snapshot or MessageType.Append));
        Assert.True(leader.Status().Progress![3].MsgAppFlowPaused);
    }

    [Fact]
    public void Unreported_snapshot_is_treated_as_failed_after_the_configured_ticks()
    {
        var c = new TestCluster(3, cfg => cfg with { SnapshotStatusTimeoutTicks = 10 });
        c.Elect(1);
        RawNode leader = c.Nodes[1];
        for (int i = 0; i < 5; i++)
        {
            leader.Propose(Payload);
            c.Stabilize(drop: m => m.To == 3 || m.From == 3);
        }
        ulong applied = leader.BasicStatus().Applied;
        Assert.Equal(StorageStatus.Ok, c.Storages[1].CreateSnapshot(applied, new ConfState { Voters = [1, 2, 3] }, "s"u8.ToArray(), out _));
        Assert.Equal(StorageStatus.Ok, c.Storages[1].Compact(applied));
        c.InFlight.Clear();
        leader.ReportUnreachable(3);
        ulong term = leader.BasicStatus().HardState.Term;
        leader.Step(new Message { Type = MessageType.HeartbeatResponse, From = 3, To = 1, Term = term });
        c.ProcessReady(1);
        Assert.Single(c.Take(m => m.To == 3 && m.Type == MessageType.Snapshot));

        // The snapshot is lost and never reported: nine ticks later the leader still waits...
        for (int i = 0; i < 9; i++)
        {
            c.Tick(1);
        }
        Assert.Equal(FastRaft.Core.Tracker.ProgressState.Snapshot, leader.Status().Progress![3].State);
        // ...at the tenth it gives up, and the next heartbeat response brings a fresh snapshot.
        c.Tick(1);
        Assert.Equal(FastRaft.Core.Tracker.ProgressState.Probe, leader.Status().Progress![3].State);
        c.ProcessReady(1);
        c.InFlight.Clear();
        leader.Step(new Message { Type = MessageType.HeartbeatResponse, From = 3, To = 1, Term = term });
        c.ProcessReady(1);
        Assert.Single(c.Take(m => m.To == 3 && m.Type == MessageType.Snapshot));
    }

    // 2. Proposals without a leader.

    [Fact]
    public void Proposal_on_a_follower_without_a_leader_is_dropped_and_reported()
    {
        var c = new TestCluster(3);
        RawNode follower = c.Nodes[2];
        Assert.Equal(StepResult.ProposalDroppedNoLeader, follower.Propose(Payload));
        Assert.True(StepResult.ProposalDroppedNoLeader.IsProposalDropped());
        Assert.Equal("raft proposal dropped", StepResult.ProposalDroppedNoLeader.ErrorText());
        // Nothing was appended and the node still works.
        c.Elect(1);
        Assert.Equal(StepResult.Ok, follower.Propose(Payload));
    }

    [Fact]
    public void Proposal_on_a_candidate_is_dropped_and_reported()
    {
        var c = new TestCluster(3);
        RawNode n = c.Nodes[1];
        n.Campaign();
        Assert.Equal(NodeRole.Candidate, n.BasicStatus().SoftState.Role);
        Assert.Equal(StepResult.ProposalDroppedNoLeader, n.Propose(Payload));
        c.Stabilize();
        Assert.Equal(NodeRole.Leader, n.BasicStatus().SoftState.Role);
        Assert.Equal(StepResult.Ok, n.Propose(Payload));
    }

    [Fact]
    public void Proposal_on_a_pre_candidate_is_dropped_and_reported()
    {
        var c = new TestCluster(3, cfg => cfg with { PreVote = true });
        RawNode n = c.Nodes[1];
        n.Campaign();
        Assert.Equal(NodeRole.PreCandidate, n.BasicStatus().SoftState.Role);
        Assert.Equal(StepResult.ProposalDroppedNoLeader, n.Propose(Payload));
    }

    // 3. MemoryStorage.Append reports failure through its result.

    [Fact]
    public void MemoryStorage_append_with_a_gap_returns_an_error_result()
    {
        var s = new MemoryStorage();
        Assert.Equal(StorageStatus.Ok, s.Append([new Entry(1, 1), new Entry(1, 2)]));
        Assert.Equal(StorageStatus.OutOfOrder, s.Append([new Entry(1, 5)]));
        Assert.Equal(2UL, s.LastIndex());
    }

    // 4. Responses from peers outside the configuration are filtered inside the node.

    [Fact]
    public void Response_from_an_unknown_peer_is_refused_by_step()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        StepResult r = c.Nodes[1].Step(new Message { Type = MessageType.AppendResponse, From = 9, To = 1, Term = c.Nodes[1].BasicStatus().HardState.Term, Index = 5 });
        Assert.Equal(StepResult.StepPeerNotFound, r);
        Assert.Equal("raft: cannot step as peer not found", r.ErrorText());
    }

    [Fact]
    public void Response_from_a_peer_removed_after_an_outside_check_is_refused_without_a_crash()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        RawNode leader = c.Nodes[1];

        // The application checks membership, then the peer is removed before the step.
        Assert.True(leader.Status().Config.Voters.Contains(3));
        Assert.Equal(StepResult.Ok, leader.ProposeConfChange(new ConfChange(ConfChangeType.RemoveNode, 3)));
        c.Stabilize();
        Assert.False(leader.Status().Config.Voters.Contains(3));

        foreach (MessageType t in new[] { MessageType.AppendResponse, MessageType.HeartbeatResponse, MessageType.VoteResponse })
        {
            StepResult r = leader.Step(new Message { Type = t, From = 3, To = 1, Term = leader.BasicStatus().HardState.Term, Index = 100 });
            Assert.Equal(StepResult.StepPeerNotFound, r);
        }
        // Non-response messages from it fall through to the core, which ignores them as well.
        Assert.Equal(StepResult.Ok, leader.Propose(Payload));
        c.Stabilize();
    }

    // 5. An outdated MsgApp after restoring a snapshot.

    [Fact]
    public void Outdated_append_after_a_snapshot_restored_into_the_unstable_log_does_not_crash()
    {
        // Storage holds entries 1..50; 51..60 arrive into the unstable log.
        var storage = new MemoryStorage();
        Assert.Equal(StorageStatus.Ok, storage.ApplySnapshot(new Snapshot(ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(new ConfState { Voters = [1, 2] }, 1, 1))));
        var stored = new Entry[49];
        for (int i = 0; i < stored.Length; i++)
        {
            stored[i] = new Entry(1, (ulong)i + 2);
        }
        Assert.Equal(StorageStatus.Ok, storage.Append(stored));
        Assert.Equal(StorageStatus.Ok, storage.SetHardState(new HardState(1, 0, 50)));
        var node = new RawNode(new RaftConfig { Id = 2, Storage = storage, ElectionTick = 10, HeartbeatTick = 1, Applied = 50 });

        var unstable = new Entry[10];
        for (int i = 0; i < unstable.Length; i++)
        {
            unstable[i] = new Entry(1, (ulong)i + 51);
        }
        Assert.Equal(StepResult.Ok, node.Step(new Message { Type = MessageType.Append, From = 1, To = 2, Term = 1, Index = 50, LogTerm = 1, Commit = 50, Entries = unstable }));

        // A snapshot at 100 is restored into the unstable log but not yet persisted.
        var snap = new Snapshot("state"u8.ToArray(), new SnapshotMetadata(new ConfState { Voters = [1, 2] }, 100, 1));
        Assert.Equal(StepResult.Ok, node.Step(new Message { Type = MessageType.Snapshot, From = 1, To = 2, Term = 1, Snapshot = snap }));

        // The stale append at 60 asks about an index the log no longer has.
        Assert.Equal(StepResult.Ok, node.Step(new Message { Type = MessageType.Append, From = 1, To = 2, Term = 1, Index = 60, LogTerm = 1, Commit = 60, Entries = new[] { new Entry(1, 61) } }));

        Ready rd = node.Ready();
        Assert.NotNull(rd.Snapshot);
        Assert.Equal(100UL, rd.Snapshot!.Metadata.Index);
        // Answers: first the acceptance of 51..60, then the restore, then the stale append
        // answered with the commit index (100).
        Message last = rd.Messages.Span[^1];
        Assert.Equal(MessageType.AppendResponse, last.Type);
        Assert.Equal(100UL, last.Index);
        Assert.False(last.Reject);
        node.Advance();
        Assert.Equal(100UL, node.BasicStatus().HardState.Commit);
    }
}
