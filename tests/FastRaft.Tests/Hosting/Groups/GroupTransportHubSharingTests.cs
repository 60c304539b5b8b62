using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.Groups;
using FastRaft.Hosting.InMemory;
using FastRaft.Protocol;

namespace FastRaft.Tests.Hosting.Groups;

/// <summary>
/// Over an in-memory network the hub hands its groups' copies to the transport to share instead of
/// copying them again: the receiving groups see exactly what was sent, the groups' batches come
/// back once every receiver released them, and while receivers hold too many the hub copies again.
/// </summary>
public class GroupTransportHubSharingTests
{
    private static readonly ConfState Members = new() { Voters = [1, 2, 3] };

    private sealed class Node
    {
        public Node(InMemoryNetwork network, ulong id, int groups)
        {
            Options = new RaftGroupHostOptions();
            Hub = new GroupTransportHub(network.CreateTransport(id), null, Options, new SignalWaitSource());
            Hub.Open();
            for (ulong g = 1; g <= (ulong)groups; g++)
            {
                GroupTransportView view = Hub.CreateView(g, new SignalWaitSource());
                var sink = new HoldingSink();
                view.Start(sink);
                view.OnConfigurationChanged(Members);
                Views.Add(view);
                Sinks.Add(sink);
            }
        }

        public RaftGroupHostOptions Options { get; }

        public GroupTransportHub Hub { get; }

        public List<GroupTransportView> Views { get; } = [];

        public List<HoldingSink> Sinks { get; } = [];

        public void Cycle() => Hub.DoWork(Options.Time.GetTimestamp());

        public List<Message> Received() => [.. Sinks.SelectMany(s => s.Batches).SelectMany(b => b.Messages.ToArray())];

        public void ReleaseAll()
        {
            foreach (HoldingSink s in Sinks)
            {
                s.ReleaseAll();
            }
        }
    }

    private static Message Append(ulong to, ulong term, byte fill) => new(MessageType.Append, 1, to, term)
    {
        LogTerm = term,
        Index = 10,
        Entries = new[] { new Entry(term, 11, EntryType.Normal, new byte[] { fill, fill, fill }) },
        Context = new[] { fill },
    };

    [Fact]
    public void Receivers_get_exactly_what_each_group_sent_and_the_groups_batches_come_back_once_all_released_them()
    {
        var network = new InMemoryNetwork();
        var sender = new Node(network, 1, 2);
        var two = new Node(network, 2, 2);
        var three = new Node(network, 3, 2);
        sender.Cycle(); // the configuration and first pings
        two.Cycle();
        three.Cycle();
        two.ReleaseAll();
        three.ReleaseAll();

        sender.Views[0].Send(Append(2, 5, 1));
        sender.Views[0].Send(Append(3, 5, 2));
        sender.Views[1].Send(Append(2, 6, 3));
        sender.Views[0].Flush();
        sender.Views[1].Flush();
        sender.Cycle();
        two.Cycle();
        three.Cycle();

        Assert.Equal([(1UL, 5UL, (byte)1), (2UL, 6UL, (byte)3)],
            two.Received().Where(m => m.Type == MessageType.Append).Select(m => (m.GroupId, m.Term, m.Entries.Span[0].Data.Span[0])));
        Message toThree = Assert.Single(three.Received(), m => m.Type == MessageType.Append);
        Assert.Equal(1UL, toThree.GroupId);
        Assert.Equal(new byte[] { 2, 2, 2 }, toThree.Entries.Span[0].Data.ToArray());
        Assert.Equal(new byte[] { 2 }, toThree.Context.ToArray());
        // Shared, not copied: both groups' batches stay out while a receiver holds their messages.
        Assert.Equal(2, sender.Hub.OutstandingOutbound);
        two.ReleaseAll();
        Assert.Equal(1, sender.Hub.OutstandingOutbound); // group 1's batch: node 3 still holds its append
        three.ReleaseAll();
        Assert.Equal(0, sender.Hub.OutstandingOutbound);
    }

    [Fact]
    public void While_receivers_hold_too_many_shared_batches_the_hub_copies_instead()
    {
        var network = new InMemoryNetwork { MaxQueuedBatches = 10_000 };
        var sender = new Node(network, 1, 1);
        var receiver = new Node(network, 2, 1);
        for (int round = 0; round < 1_500; round++)
        {
            sender.Views[0].Send(Append(2, 5, (byte)round));
            sender.Views[0].Flush();
            sender.Cycle();
            receiver.Cycle();
        }

        // Every append arrived intact, though the receiver released none of them yet.
        List<Message> appends = [.. receiver.Received().Where(m => m.Type == MessageType.Append)];
        Assert.Equal(1_500, appends.Count);
        Assert.Equal((byte)(1_499 % 256), appends[^1].Entries.Span[0].Data.Span[0]);
        // Sharing stopped at the bound: the rest were copied and their batches returned at once.
        Assert.InRange(sender.Hub.OutstandingOutbound, 1, 520);
        receiver.ReleaseAll();
        Assert.Equal(0, sender.Hub.OutstandingOutbound);
    }

    /// <summary>A group's sink that keeps what it is handed (a node that has not stepped it yet) until told to release it.</summary>
    private sealed class HoldingSink : ITransportSink
    {
        public List<InboundBatch> Batches { get; } = [];

        public bool Deliver(InboundBatch batch)
        {
            Batches.Add(batch);
            return true;
        }

        public void ReleaseAll()
        {
            foreach (InboundBatch b in Batches)
            {
                b.Release();
            }
            Batches.Clear();
        }

        public void ReportUnreachable(ulong nodeId)
        {
        }

        public void ReportSnapshot(ulong nodeId, SnapshotStatus status)
        {
        }
    }
}
