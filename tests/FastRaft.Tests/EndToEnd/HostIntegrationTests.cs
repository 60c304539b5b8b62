using System.Collections.Concurrent;
using System.Net;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Storage;
using FastRaft.Tests.Codec;
using FastRaft.Tests.Udp;
using FastRaft.Transport.Udp;

namespace FastRaft.Tests.EndToEnd;

/// <summary>What the host does for its transport: sized appends, a snapshot-status bound, configuration reports.</summary>
[Trait("Category", "Integration")]
[Collection(nameof(EndToEndCollection))]
public class HostIntegrationTests
{
    /// <summary>A transport that sends nothing, reports a size limit and records the configurations it is told of.</summary>
    private sealed class RecordingTransport(ulong id, int maxWholeMessageSize) : ITransport
    {
        public ConcurrentQueue<ConfState> Configurations { get; } = new();

        public ulong LocalId => id;

        public int MaxWholeMessageSize => maxWholeMessageSize;

        public void Start(ITransportSink sink)
        {
        }

        public void Send(in Message message)
        {
        }

        public void Flush()
        {
        }

        public void OnConfigurationChanged(ConfState confState) => Configurations.Enqueue(confState);

        public void Dispose()
        {
        }
    }

    private static RaftNodeOptions Options(RaftConfig config) => new()
    {
        Raft = config,
        TickInterval = TimeSpan.FromMilliseconds(5),
        InitialMembers = [1],
    };

    private static RaftConfig Config() => new() { Id = 1, ElectionTick = 10, HeartbeatTick = 1 };

    [Fact]
    public async Task Appends_are_sized_to_half_the_transports_whole_message_size_when_the_config_leaves_it_open()
    {
        RaftConfig config = Config();
        await using var node = new RaftNode<ulong>(Options(config), new MemoryStorage(), new RecordingTransport(1, 20_000), new LedgerStateMachine());
        RaftConfig running = node.Config;
        Assert.Equal(10_000UL, running.MaxSizePerMsg);
        Assert.Equal(RaftNodeOptions.DefaultMaxSizePerMsg, running.MaxCommittedSizePerReady);
        Assert.Equal(2 * config.ElectionTick, running.SnapshotStatusTimeoutTicks);
        // The caller's config is the node's starting point, never changed by it.
        Assert.Equal((0UL, 0UL, 0), (config.MaxSizePerMsg, config.MaxCommittedSizePerReady, config.SnapshotStatusTimeoutTicks));
        Assert.Null(config.Storage);
    }

    [Fact]
    public async Task Without_a_transport_limit_appends_get_the_hosts_default_capped_by_the_inflight_bytes()
    {
        RaftConfig open = Config();
        RaftConfig capped = Config() with { MaxInflightBytes = 4096 };
        await using var a = new RaftNode<ulong>(Options(open), new MemoryStorage(), new RecordingTransport(1, 0), new LedgerStateMachine());
        await using var b = new RaftNode<ulong>(Options(capped), new MemoryStorage(), new RecordingTransport(1, 0), new LedgerStateMachine());
        Assert.Equal(RaftNodeOptions.DefaultMaxSizePerMsg, a.Config.MaxSizePerMsg);
        Assert.Equal(4096UL, b.Config.MaxSizePerMsg);
        Assert.Equal(0UL, open.MaxSizePerMsg);
    }

    [Fact]
    public async Task Values_the_config_sets_are_kept()
    {
        RaftConfig config = Config() with { MaxSizePerMsg = 50_000, MaxCommittedSizePerReady = 60_000, SnapshotStatusTimeoutTicks = 7 };
        await using var node = new RaftNode<ulong>(Options(config), new MemoryStorage(), new RecordingTransport(1, 20_000), new LedgerStateMachine());
        RaftConfig running = node.Config;
        Assert.Equal(50_000UL, running.MaxSizePerMsg);
        Assert.Equal(60_000UL, running.MaxCommittedSizePerReady);
        Assert.Equal(7, running.SnapshotStatusTimeoutTicks);
    }

    [Fact]
    public async Task The_transport_is_told_the_configuration_at_start_and_after_each_change()
    {
        var transport = new RecordingTransport(1, 0);
        await using var node = new RaftNode<ulong>(Options(Config()), new MemoryStorage(), transport, new LedgerStateMachine());
        node.Start();
        await E2eCluster.Eventually(() => node.IsLeader, "the single voter to lead");

        MembershipResult added = await node.AddLearnerAsync(2).AsTask().WaitAsync(E2eCluster.Timeout);
        Assert.True(added.IsOk, added.ToString());

        ConfState[] seen = [.. transport.Configurations];
        Assert.True(seen[0].IsEmpty, "at start, the empty storage's configuration");
        Assert.Equal([1UL], seen[1].Voters);
        Assert.Equal([2UL], seen[^1].Learners);
        Assert.Equal(3, seen.Length);
    }

    [Fact]
    public void A_udp_transport_finds_new_members_in_its_address_book_and_forgets_those_that_leave()
    {
        using var g = new UdpGroup(3);
        var book = new Dictionary<ulong, IPEndPoint> { [2] = g[2].LocalEndPoint };
        UdpTransportOptions o = UdpGroup.Options(1) with { AddressBook = id => book.GetValueOrDefault(id) };
        o.Peers[3] = g[3].LocalEndPoint; // set by hand, never a member
        using var t = new UdpTransport(o);
        var sink = new RecordingSink();
        t.Start(sink);
        Message toTwo = CodecFixtures.Heartbeat();

        // Not a member yet: unknown.
        t.Send(in toTwo);
        Assert.Equal(1, t.Counters.Dropped(DropReason.UnknownPeer));

        ((ITransport)t).OnConfigurationChanged(new ConfState { Voters = [1, 2], Learners = [5] });
        t.Send(in toTwo);
        t.Flush();
        Assert.True(g.Sinks[2].WaitFor(1));

        // 5 has no address: its messages are dropped, and the book is asked again later, not per message.
        Message toFive = toTwo with { To = 5 };
        t.Send(in toFive);
        t.Send(in toFive);
        Assert.Equal(3, t.Counters.Dropped(DropReason.UnknownPeer));
        book[5] = g[3].LocalEndPoint;
        Assert.True(Wait.Until(() =>
        {
            t.Send(in toFive);
            t.Flush();
            return t.Counters.MessageDatagramsSent == 2;
        }), "node 5 found once the address book knows it");

        // 2 leaves: forgotten. 3 was never a member: kept.
        ((ITransport)t).OnConfigurationChanged(new ConfState { Voters = [1], Learners = [5] });
        long dropped = t.Counters.Dropped(DropReason.UnknownPeer);
        t.Send(in toTwo);
        Assert.Equal(dropped + 1, t.Counters.Dropped(DropReason.UnknownPeer));
        t.Send(toTwo with { To = 3 });
        t.Flush();
        Assert.True(g.Sinks[3].WaitFor(1));
        Assert.Equal(t.MaxBatchedMessageSize, ((ITransport)t).MaxWholeMessageSize);
    }
}
