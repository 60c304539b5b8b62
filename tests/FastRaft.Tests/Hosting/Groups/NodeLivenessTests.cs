using FastRaft.Hosting.Groups;
using FastRaft.Hosting.InMemory;
using FastRaft.Protocol;

namespace FastRaft.Tests.Hosting.Groups;

/// <summary>The hub pings every peer node once per liveness interval and tells which nodes it hears from, on a fake clock.</summary>
public class NodeLivenessTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(30);

    private static bool IsPing(Message m) =>
        m.GroupId == 0 && m.Type == MessageType.Heartbeat && m.Context.Span.SequenceEqual(new byte[] { 1, 3 });

    [Fact]
    public void Every_peer_node_is_pinged_once_per_interval_even_when_nothing_else_is_sent()
    {
        var rig = new HubRig();
        rig.AddGroup(1, [1, 2, 3]);
        rig.AddGroup(2, [1, 3, 4]);

        rig.Cycle();
        Assert.Equal(new ulong[] { 2, 3, 4 }, rig.Transport.Sent.Where(IsPing).Select(m => m.To).Order());
        Assert.All(rig.Transport.Sent, m => Assert.Equal(1UL, m.From));
        long pingsAt = rig.Clock.GetTimestamp();
        Assert.Equal(pingsAt + (long)(Interval.TotalSeconds * rig.Clock.TimestampFrequency), rig.Hub.Deadline);

        // Not again before the interval has passed.
        rig.Clock.Advance(Interval - TimeSpan.FromMilliseconds(1));
        rig.Cycle();
        Assert.Equal(3, rig.Transport.Sent.Count(IsPing));

        rig.Clock.Advance(TimeSpan.FromMilliseconds(1));
        rig.Cycle();
        Assert.Equal(6, rig.Transport.Sent.Count(IsPing));
        Assert.Equal(6, rig.Hub.Counters.LivenessPings);
        Assert.Equal(2, rig.Transport.FlushCount);

        // Pings join a cycle's other messages in its one flush.
        rig.Clock.Advance(Interval);
        rig.Groups[1].View.Send(new Message(MessageType.Vote, 1, 2, 5) { LogTerm = 4, Index = 8 });
        rig.Groups[1].View.Flush();
        rig.Cycle();
        Assert.Equal(9, rig.Transport.Sent.Count(IsPing));
        Assert.Equal(3, rig.Transport.FlushCount);
    }

    [Fact]
    public void A_node_is_live_while_heard_from_within_the_timeout_by_any_message()
    {
        var rig = new HubRig();
        rig.AddGroup(1, [1, 2, 3]);
        rig.Cycle();

        // Members count as heard from when they join; the local node is always live; strangers never.
        Assert.True(rig.Hub.IsLive(2));
        Assert.True(rig.Hub.IsLive(1));
        Assert.False(rig.Hub.IsLive(9));

        rig.Clock.Advance(TimeSpan.FromMilliseconds(101));
        Assert.False(rig.Hub.IsLive(2));
        Assert.False(rig.Hub.IsLive(3));
        Assert.True(rig.Hub.IsLive(1));

        // A ping from node 2, a group message from node 3 (even one for a group this host lacks).
        rig.Receive(new Message(MessageType.Heartbeat, 2, 1, 0) { Context = new byte[] { 1, 3 } });
        rig.Receive(new Message(MessageType.AppendResponse, 3, 1, 4) { Index = 7, GroupId = 55 });
        Assert.True(rig.Hub.IsLive(2));
        Assert.True(rig.Hub.IsLive(3));
        Assert.Equal(0, rig.Hub.Counters.ControlDrops);

        rig.Clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(rig.Hub.IsLive(2)); // exactly the timeout: still live
        rig.Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(rig.Hub.IsLive(2));
    }

    [Fact]
    public async Task A_shared_transport_host_exposes_its_liveness_and_refuses_bad_timing()
    {
        var network = new InMemoryNetwork();
        await using var host = new RaftGroupHost(new RaftGroupHostOptions { RunnerThreads = 1 }, network.CreateTransport(1));
        Assert.True(host.Liveness!.IsLive(1));
        Assert.False(host.Liveness.IsLive(2)); // no group has node 2

        Assert.Throws<ArgumentOutOfRangeException>(() => new RaftGroupHost(
            new RaftGroupHostOptions { RunnerThreads = 1, LivenessInterval = TimeSpan.Zero }, network.CreateTransport(2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RaftGroupHost(
            new RaftGroupHostOptions { RunnerThreads = 1, LivenessTimeout = TimeSpan.FromMilliseconds(30) }, network.CreateTransport(3)));
    }
}
