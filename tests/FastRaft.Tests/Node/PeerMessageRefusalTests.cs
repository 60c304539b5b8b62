using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Tests.Node;

/// <summary>
/// A peer's message that would break an invariant of the node (each of these used to panic or
/// corrupt state, as etcd does) is refused before anything of it is used: the step returns the
/// reason, the node's term, commit, log and role stay as they were, it has nothing to persist or
/// send, and the refusal is counted by reason. The cluster then carries on.
/// </summary>
public class PeerMessageRefusalTests
{
    private static readonly byte[] Payload = "data"u8.ToArray();

    /// <summary>Three voters, 1 leading (at term 1), with entries 2..5 committed everywhere.</summary>
    private static TestCluster SettledCluster() => Settled(new TestCluster(3));

    private static T Settled<T>(T c) where T : ITestCluster
    {
        c.Elect(1);
        c.ProposeMany(1, 3, Payload);
        Assert.Equal(5UL, c.Nodes[2].LastIndex);
        Assert.Equal(5UL, c.Commit(2));
        foreach (RawNode n in c.Nodes.Values)
        {
            Assert.False(n.HasReady());
        }
        return c;
    }

    /// <summary>Steps <paramref name="m"/> into <paramref name="node"/> and checks it was refused for <paramref name="reason"/> and changed nothing.</summary>
    internal static void AssertRefused(RawNode node, Message m, StepResult reason)
    {
        NodeFingerprint before = NodeFingerprint.Of(node);
        long counted = node.Refusals[reason];
        long total = node.Refusals.Total;

        StepResult r = node.Step(m);

        Assert.Equal(reason, r);
        Assert.True(r.IsRefused());
        Assert.NotEqual("", r.ErrorText());
        Assert.Equal(before, NodeFingerprint.Of(node));
        Assert.False(node.HasReady(), "a refused message leaves nothing to persist or send");
        Assert.Equal(counted + 1, node.Refusals[reason]);
        Assert.Equal(total + 1, node.Refusals.Total);
    }

    private static Message Heartbeat(TestCluster c, ulong commit, ulong? term = null) =>
        new() { Type = MessageType.Heartbeat, From = 1, To = 2, Term = term ?? c.Term(1), Commit = commit };

    private static Message Append(TestCluster c, ulong index, ulong logTerm, params Entry[] entries) =>
        new() { Type = MessageType.Append, From = 1, To = 2, Term = c.Term(1), Index = index, LogTerm = logTerm, Commit = c.Commit(1), Entries = entries };

    [Fact]
    public void A_heartbeat_committing_beyond_the_followers_last_index_is_refused_whatever_its_term()
    {
        TestCluster c = SettledCluster();
        RawNode follower = c.Nodes[2];
        AssertRefused(follower, Heartbeat(c, commit: 6), StepResult.RefusedCommitBeyondLog);
        AssertRefused(follower, Heartbeat(c, commit: ulong.MaxValue), StepResult.RefusedCommitBeyondLog);
        // A later term does not get the node to move to it first.
        AssertRefused(follower, Heartbeat(c, commit: 100, term: c.Term(1) + 1), StepResult.RefusedCommitBeyondLog);

        // Up to the last index is what an honest leader may send.
        Assert.Equal(StepResult.Ok, follower.Step(Heartbeat(c, commit: 5)));
        c.Stabilize();
        c.ProposeMany(1, 2, Payload);
        Assert.Equal(7UL, c.Commit(2));
        Assert.Equal(3, follower.Refusals.CommitBeyondLog);
    }

    [Fact]
    public void A_heartbeat_committing_beyond_a_candidates_log_does_not_turn_it_into_a_follower()
    {
        TestCluster c = SettledCluster();
        RawNode node = c.Nodes[2];
        Assert.Equal(StepResult.Ok, node.Campaign());
        c.ProcessReady(2);
        c.InFlight.Clear();
        Assert.Equal(NodeRole.Candidate, c.State(2));
        AssertRefused(node, new Message { Type = MessageType.Heartbeat, From = 1, To = 2, Term = c.Term(2), Commit = 9 }, StepResult.RefusedCommitBeyondLog);
        Assert.Equal(NodeRole.Candidate, c.State(2));
    }

    [Fact]
    public void An_append_whose_entries_would_overwrite_committed_ones_is_refused()
    {
        TestCluster c = SettledCluster();
        RawNode follower = c.Nodes[2];
        ulong term = c.Term(1);
        // Matches at the commit index 5, but carries entries for 3 and 4: applied, they would
        // conflict with committed entries (etcd panics "entry 3 conflict with committed entry").
        AssertRefused(follower, Append(c, 5, term, new Entry(term, 3), new Entry(term, 4)), StepResult.RefusedEntriesNotContiguous);
        // A gap after the previous index is refused too, and so is an entry repeated.
        AssertRefused(follower, Append(c, 5, term, new Entry(term, 7)), StepResult.RefusedEntriesNotContiguous);
        AssertRefused(follower, Append(c, 5, term, new Entry(term, 6), new Entry(term, 6)), StepResult.RefusedEntriesNotContiguous);

        // The same append, well formed, is taken.
        Assert.Equal(StepResult.Ok, follower.Step(Append(c, 5, term, new Entry(term, 6, EntryType.Normal, Payload))));
        Assert.Equal(6UL, follower.LastIndex);
    }

    [Fact]
    public void An_append_carrying_terms_that_contradict_its_own_is_refused()
    {
        TestCluster c = SettledCluster();
        RawNode follower = c.Nodes[2];
        ulong term = c.Term(1);
        // An entry from a later term than the leader's.
        AssertRefused(follower, Append(c, 5, term, new Entry(term + 1, 6)), StepResult.RefusedInconsistentTerms);
        // A previous entry from a later term than the leader's.
        AssertRefused(follower, Append(c, 5, term + 1), StepResult.RefusedInconsistentTerms);
        // Entry terms that go down.
        AssertRefused(follower, Append(c, 5, term, new Entry(term, 6), new Entry(term - 1, 7)), StepResult.RefusedInconsistentTerms);
        AssertRefused(follower, Append(c, 5, term, new Entry(term - 1, 6)), StepResult.RefusedInconsistentTerms);
    }

    [Fact]
    public void An_append_with_an_unknown_entry_type_or_an_index_past_the_bound_is_refused()
    {
        TestCluster c = SettledCluster();
        RawNode follower = c.Nodes[2];
        ulong term = c.Term(1);
        AssertRefused(follower, Append(c, 5, term, new Entry(term, 6, (EntryType)7, Payload)), StepResult.RefusedUnknownType);
        AssertRefused(follower, Append(c, ulong.MaxValue - 1, term, new Entry(term, ulong.MaxValue), new Entry(term, 0)), StepResult.RefusedIndexTooHigh);
        AssertRefused(follower, Append(c, RaftLimits.MaxIndex, term, new Entry(term, RaftLimits.MaxIndex + 1)), StepResult.RefusedIndexTooHigh);
    }

    [Fact]
    public void An_append_carrying_a_configuration_change_that_cannot_be_decoded_is_refused()
    {
        TestCluster c = SettledCluster();
        RawNode follower = c.Nodes[2];
        ulong term = c.Term(1);
        AssertRefused(follower, Append(c, 5, term, new Entry(term, 6, EntryType.ConfChangeV2, new byte[] { 0xFF, 0x00, 0x13 })), StepResult.RefusedMalformedConfChange);
        AssertRefused(follower, Append(c, 5, term, new Entry(term, 6), new Entry(term, 7, EntryType.ConfChange, new byte[] { 0xC1 })), StepResult.RefusedMalformedConfChange);

        // A real one (and the empty one that leaves a joint configuration) goes through.
        byte[] addLearner = ConfChangeCodec.Encode(new ConfChange(ConfChangeType.AddLearnerNode, 4));
        Assert.Equal(StepResult.Ok, follower.Step(Append(c, 5, term, new Entry(term, 6, EntryType.ConfChange, addLearner), new Entry(term, 7, EntryType.ConfChangeV2, ReadOnlyMemory<byte>.Empty))));
        Assert.Equal(7UL, follower.LastIndex);
    }

    [Fact]
    public void Messages_without_a_term_that_need_one_are_refused()
    {
        TestCluster c = SettledCluster();
        // Answering a vote for term 0 used to panic ("term should be set when sending MsgVoteResp").
        AssertRefused(c.Nodes[2], new Message { Type = MessageType.Vote, From = 3, To = 2, Term = 0 }, StepResult.RefusedMissingTerm);
        AssertRefused(c.Nodes[2], new Message { Type = MessageType.PreVote, From = 3, To = 2, Term = 0 }, StepResult.RefusedMissingTerm);
        AssertRefused(c.Nodes[2], new Message { Type = MessageType.Append, From = 1, To = 2, Term = 0, Index = 5, LogTerm = 2 }, StepResult.RefusedMissingTerm);
        AssertRefused(c.Nodes[1], new Message { Type = MessageType.AppendResponse, From = 2, To = 1, Term = 0, Index = 5 }, StepResult.RefusedMissingTerm);

        // A candidate would even have moved back to term 0.
        RawNode candidate = c.Nodes[3];
        candidate.Campaign();
        c.ProcessReady(3);
        c.InFlight.Clear();
        ulong candidateTerm = c.Term(3);
        AssertRefused(candidate, new Message { Type = MessageType.Heartbeat, From = 1, To = 3, Term = 0 }, StepResult.RefusedMissingTerm);
        Assert.Equal(candidateTerm, c.Term(3));
        Assert.Equal(NodeRole.Candidate, c.State(3));
    }

    [Fact]
    public void A_message_claiming_to_come_from_the_node_itself_is_refused()
    {
        TestCluster c = SettledCluster();
        // Answering would address a message to itself (a panic in Send).
        AssertRefused(c.Nodes[2], Heartbeat(c, commit: 5) with { From = 2 }, StepResult.RefusedFromSelf);
        AssertRefused(c.Nodes[1], new Message { Type = MessageType.HeartbeatResponse, From = 1, To = 1, Term = c.Term(1) }, StepResult.RefusedFromSelf);
    }

    [Fact]
    public void A_vote_request_whose_last_entry_is_from_a_later_term_than_the_election_is_refused()
    {
        TestCluster c = SettledCluster();
        ulong term = c.Term(2);
        AssertRefused(c.Nodes[2], new Message { Type = MessageType.Vote, From = 3, To = 2, Term = term + 1, Index = 5, LogTerm = term + 2 }, StepResult.RefusedInconsistentTerms);
        AssertRefused(c.Nodes[2], new Message { Type = MessageType.PreVote, From = 3, To = 2, Term = term + 1, Index = 5, LogTerm = term + 5 }, StepResult.RefusedInconsistentTerms);
    }

    [Fact]
    public void An_acknowledgement_beyond_the_leaders_log_is_refused_and_the_followers_progress_kept()
    {
        TestCluster c = SettledCluster();
        RawNode leader = c.Nodes[1];
        ulong matchBefore = leader.Status().Progress![2].Match;
        AssertRefused(leader, new Message { Type = MessageType.AppendResponse, From = 2, To = 1, Term = c.Term(1), Index = 6 }, StepResult.RefusedAckBeyondLog);
        AssertRefused(leader, new Message { Type = MessageType.AppendResponse, From = 2, To = 1, Term = c.Term(1), Index = ulong.MaxValue }, StepResult.RefusedAckBeyondLog);
        Assert.Equal(matchBefore, leader.Status().Progress![2].Match);

        // Replication goes on as before.
        c.ProposeMany(1, 1, Payload);
        Assert.Equal(6UL, leader.Status().Progress![2].Match);
        Assert.Equal(6UL, c.Commit(2));
    }

    [Fact]
    public void A_heartbeat_response_confirming_reads_the_leader_never_queued_is_refused()
    {
        // The core harness: the test reads the read state a Ready hands out, which the agent consumes.
        CoreTestCluster c = Settled(new CoreTestCluster(3));
        RawNode leader = c.Nodes[1];
        byte[] position = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(position, 1_000);
        AssertRefused(leader, new Message { Type = MessageType.HeartbeatResponse, From = 2, To = 1, Term = c.Term(1), Context = position }, StepResult.RefusedReadAckBeyondQueue);

        // Reads are still confirmed by honest heartbeat responses.
        leader.ReadIndex("r1"u8.ToArray());
        c.Stabilize();
        List<ReadState> reads = c.ReadStatesOf(1);
        Assert.Single(reads);
        Assert.Equal(5UL, reads[0].Index);
    }

    [Fact]
    public void A_forwarded_proposal_without_entries_is_refused_by_the_leader()
    {
        TestCluster c = SettledCluster();
        // etcd's leader panics on it ("stepped empty MsgProp").
        AssertRefused(c.Nodes[1], new Message { Type = MessageType.Propose, From = 2, To = 1 }, StepResult.RefusedEmptyProposal);
        AssertRefused(c.Nodes[1], new Message { Type = MessageType.Propose, From = 2, To = 1, Entries = new[] { new Entry(0, 0, (EntryType)9, Payload) } }, StepResult.RefusedUnknownType);
        AssertRefused(c.Nodes[2], new Message { Type = MessageType.Propose, From = 3, To = 2 }, StepResult.RefusedEmptyProposal);
    }

    [Fact]
    public void A_message_of_unknown_type_is_refused()
    {
        TestCluster c = SettledCluster();
        AssertRefused(c.Nodes[2], new Message { Type = (MessageType)99, From = 1, To = 2, Term = c.Term(1) }, StepResult.RefusedUnknownType);
    }

    [Fact]
    public void A_proposal_or_transfer_request_carrying_a_term_is_forwarded_to_the_leader_without_it()
    {
        TestCluster c = SettledCluster();
        RawNode follower = c.Nodes[2];
        // Forwarding used to hand the peer's term to Send, which panics on a preset term.
        Assert.Equal(StepResult.Ok, follower.Step(new Message { Type = MessageType.Propose, From = 3, To = 2, Term = c.Term(2), Entries = new[] { new Entry(0, 0, EntryType.Normal, Payload) } }));
        Assert.Equal(StepResult.Ok, follower.Step(new Message { Type = MessageType.TransferLeader, From = 3, To = 2, Term = c.Term(2) }));
        Assert.True(c.ProcessReady(2));
        Message prop = Assert.Single(c.InFlight, m => m.Type == MessageType.Propose);
        Assert.Equal((1UL, 0UL), (prop.To, prop.Term));
        Message transfer = Assert.Single(c.InFlight, m => m.Type == MessageType.TransferLeader);
        Assert.Equal((1UL, c.Term(2)), (transfer.To, transfer.Term));
        c.Take(m => m.Type == MessageType.TransferLeader);
        c.Stabilize();
        Assert.Equal(6UL, c.Commit(2));
    }

    [Fact]
    public void A_snapshot_status_from_the_network_is_a_local_message_and_is_not_stepped()
    {
        TestCluster c = SettledCluster();
        RawNode leader = c.Nodes[1];
        NodeFingerprint before = NodeFingerprint.Of(leader);
        Assert.Equal(StepResult.StepLocalMessage, leader.Step(new Message { Type = MessageType.SnapshotStatus, From = 2, To = 1, Term = c.Term(1), Reject = true }));
        Assert.Equal(before, NodeFingerprint.Of(leader));
        Assert.Equal(0, leader.Refusals.Total);
    }

    [Fact]
    public void After_every_kind_of_refusal_the_cluster_still_replicates_and_the_counts_add_up()
    {
        TestCluster c = SettledCluster();
        RawNode follower = c.Nodes[2];
        ulong term = c.Term(1);
        follower.Step(Heartbeat(c, 50));
        follower.Step(Append(c, 5, term, new Entry(term, 3)));
        follower.Step(Append(c, 5, term, new Entry(term + 1, 6)));
        follower.Step(Heartbeat(c, 5, term: ulong.MaxValue));

        c.ProposeMany(1, 3, Payload);
        Assert.Equal(8UL, c.Commit(2));
        Assert.Equal(c.Commit(1), c.Commit(3));
        RefusalCounts counts = follower.Refusals;
        Assert.Equal(4, counts.Total);
        Assert.Equal((1L, 1L, 1L, 1L), (counts.CommitBeyondLog, counts.EntriesNotContiguous, counts.InconsistentTerms, counts.TermTooHigh));
        Assert.Equal(0, c.Nodes[1].Refusals.Total);
    }
}

/// <summary>What a refused message must leave untouched: hard and soft state, applied index, and the whole log.</summary>
internal readonly record struct NodeFingerprint(BasicStatus Status, ulong LastIndex, string Log)
{
    public static NodeFingerprint Of(RawNode node)
    {
        var entries = new EntryBuffer();
        node.Raft.Log.AllEntries(entries);
        var log = new System.Text.StringBuilder();
        foreach (Entry e in entries.Span)
        {
            log.Append(e.Index).Append('/').Append(e.Term).Append('/').Append(Convert.ToHexString(e.Data.Span)).Append(' ');
        }
        return new NodeFingerprint(node.BasicStatus(), node.LastIndex, log.ToString());
    }
}
