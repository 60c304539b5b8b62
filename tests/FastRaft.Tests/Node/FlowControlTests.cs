using FastRaft.Core;
using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Tests.Node;

/// <summary>
/// Flow control (etcd's raft_flow_control_test.go, TestProgressFlowControl): appends bounded by
/// MaxSizePerMsg, replication paused by a full inflight window (MaxInflightMsgs or
/// MaxInflightBytes) and resumed by acknowledgements, and committed entries per Ready bounded by
/// MaxCommittedSizePerReady.
/// </summary>
public class FlowControlTests
{
    private static readonly byte[] Payload = new byte[100];

    /// <summary>The wire size of one of this test's entries (term 1, index below 128).</summary>
    private static readonly ulong EntrySize = new Entry(1, 10, EntryType.Normal, Payload).Size;

    private static List<Message> TakeAppendsWithEntries(TestCluster c, ulong to) =>
        c.Take(m => m.Type == MessageType.Append && m.To == to && !m.Entries.IsEmpty);

    private static Progress ProgressOf(RawNode leader, ulong id) => leader.Status().Progress![id];

    [Theory]
    [InlineData(0, 1)] // 0: one entry per message
    [InlineData(2, 2)]
    [InlineData(5, 5)]
    public void Max_size_per_msg_splits_a_backlog_into_bounded_appends(int entriesPerMsg, int expectedMax)
    {
        var c = new TestCluster(3, cfg => cfg with { MaxSizePerMsg = (ulong)entriesPerMsg * EntrySize });
        c.Elect(1);
        Func<Message, bool> cutThree = TestClusterExtensions.Isolating(3);
        c.ProposeMany(1, 12, Payload, cutThree);

        // Node 3 is back; a heartbeat round finds it behind and replication catches it up.
        var appends = new List<int>();
        c.Tick(1);
        c.Stabilize(m =>
        {
            if (m.Type == MessageType.Append && m.To == 3 && !m.Entries.IsEmpty)
            {
                appends.Add(m.Entries.Length);
            }
            return false;
        });

        Assert.Equal(c.Nodes[1].LastIndex, c.Nodes[3].LastIndex);
        Assert.All(appends, n => Assert.InRange(n, 1, expectedMax));
        Assert.Contains(expectedMax, appends);
        Assert.True(appends.Sum() >= 12);
    }

    [Fact]
    public void Full_inflight_window_pauses_replication_until_an_ack_frees_a_slot()
    {
        var c = new TestCluster(3, cfg => cfg with { MaxInflightMsgs = 3 });
        c.Elect(1);
        RawNode leader = c.Nodes[1];

        var held = new List<Message>();
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(StepResult.Ok, leader.Propose(Payload));
            c.ProcessReady(1);
            List<Message> sent = TakeAppendsWithEntries(c, 2);
            // The first three proposals each go out; the window is then full.
            Assert.Equal(i < 3 ? 1 : 0, sent.Count);
            held.AddRange(sent);
        }
        Progress pr = ProgressOf(leader, 2);
        Assert.Equal(ProgressState.Replicate, pr.State);
        Assert.True(pr.IsPaused());
        Assert.Equal(3, pr.Inflights.Count);

        // Node 2 acknowledges the first append: one slot frees, and the backlog goes out at once.
        c.Nodes[2].Step(held[0]);
        c.ProcessReady(2);
        Assert.Equal(1, c.Deliver(m => m.To == 1 && m.From == 2 && m.Type == MessageType.AppendResponse));
        c.ProcessReady(1);
        Message next = Assert.Single(TakeAppendsWithEntries(c, 2));
        Assert.Equal(held[2].Entries.Span[^1].Index + 1, next.Entries.Span[0].Index);
        Assert.Equal(2, next.Entries.Length);
        Assert.True(ProgressOf(leader, 2).IsPaused());
    }

    [Fact]
    public void Heartbeat_response_with_a_full_window_sends_only_an_empty_append()
    {
        var c = new TestCluster(3, cfg => cfg with { MaxInflightMsgs = 2 });
        c.Elect(1);
        RawNode leader = c.Nodes[1];
        for (int i = 0; i < 4; i++)
        {
            leader.Propose(Payload);
        }
        c.ProcessReady(1);
        c.InFlight.Clear();
        Assert.True(ProgressOf(leader, 2).IsPaused());

        ulong term = c.Term(1);
        for (int i = 0; i < 3; i++)
        {
            leader.Step(new Message { Type = MessageType.HeartbeatResponse, From = 2, To = 1, Term = term });
            c.ProcessReady(1);
            Message m = Assert.Single(c.Take(x => x.To == 2 && x.Type == MessageType.Append));
            Assert.True(m.Entries.IsEmpty);
            Assert.True(ProgressOf(leader, 2).IsPaused());
        }
    }

    [Fact]
    public void Inflight_byte_limit_pauses_replication_before_the_message_count_does()
    {
        var c = new TestCluster(3, cfg => cfg with
        {
            MaxInflightBytes = 3 * (ulong)Payload.Length,
            MaxSizePerMsg = 2 * EntrySize + 10, // room for two entries per append
        });
        c.Elect(1);
        RawNode leader = c.Nodes[1];

        var held = new List<Message>();
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(StepResult.Ok, leader.Propose(Payload));
            c.ProcessReady(1);
            List<Message> sent = TakeAppendsWithEntries(c, 2);
            Assert.Equal(i < 3 ? 1 : 0, sent.Count);
            held.AddRange(sent);
        }
        Progress pr = ProgressOf(leader, 2);
        Assert.True(pr.IsPaused());
        Assert.Equal(3UL * (ulong)Payload.Length, pr.Inflights.Bytes);

        // Acknowledging 100 bytes lets one more append out: the two waiting entries together,
        // which fills the byte budget again.
        c.Nodes[2].Step(held[0]);
        c.ProcessReady(2);
        c.Deliver(m => m.To == 1 && m.From == 2 && m.Type == MessageType.AppendResponse);
        c.ProcessReady(1);
        Message next = Assert.Single(TakeAppendsWithEntries(c, 2));
        Assert.Equal(2, next.Entries.Length);
        pr = ProgressOf(leader, 2);
        Assert.True(pr.IsPaused());
        Assert.Equal(3, pr.Inflights.Count);
        Assert.Equal(4UL * (ulong)Payload.Length, pr.Inflights.Bytes);

        // Acknowledging everything drains the window.
        Message last = next;
        c.Nodes[2].Step(held[1]);
        c.Nodes[2].Step(held[2]);
        c.Nodes[2].Step(last);
        c.ProcessReady(2);
        c.Deliver(m => m.To == 1 && m.From == 2 && m.Type == MessageType.AppendResponse);
        pr = ProgressOf(leader, 2);
        Assert.False(pr.IsPaused());
        Assert.Equal(0, pr.Inflights.Count);
        Assert.Equal(leader.LastIndex, pr.Match);
    }

    [Fact]
    public void Committed_entries_are_handed_out_in_bounded_batches()
    {
        var c = new TestCluster(1, cfg => cfg with { MaxCommittedSizePerReady = 2 * EntrySize });
        c.Elect(1);
        RawNode node = c.Nodes[1];
        int appliedBefore = c.AppliedOf(1).Count;

        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(StepResult.Ok, node.Propose(Payload));
        }
        ulong first = node.LastIndex - 9;

        var batches = new List<int>();
        for (int round = 0; round < 20 && c.ProcessReady(1); round++)
        {
            batches.Add(c.AppliedOf(1).Count - appliedBefore - batches.Sum());
        }
        // The first Ready persists the entries; then they are applied two at a time.
        Assert.Equal([0, 2, 2, 2, 2, 2], batches);
        List<Entry> applied = c.AppliedOf(1).GetRange(appliedBefore, 10);
        for (int i = 0; i < applied.Count; i++)
        {
            Assert.Equal(first + (ulong)i, applied[i].Index);
        }
    }
}
