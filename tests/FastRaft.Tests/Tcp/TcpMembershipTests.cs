using System.Net;
using System.Security.Cryptography;
using FastRaft.Protocol;
using FastRaft.Tests.Udp;
using FastRaft.Transport.Tcp;

namespace FastRaft.Tests.Tcp;

/// <summary>The TCP transport follows the node's configuration: members found in the address book are dialled and accepted, members that leave are cut off.</summary>
public class TcpMembershipTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>A key-authenticated transport on a free loopback port, reading with receive tasks (nothing polls it).</summary>
    internal static TcpTransport Keyed(ulong id, byte[] key, IReadOnlyDictionary<ulong, IPEndPoint> peers, Func<ulong, IPEndPoint?>? addressBook = null) => new(new TcpTransportOptions
    {
        LocalId = id,
        ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        Peers = peers,
        ClusterKey = key,
        ReceiveTasks = true,
        AddressBook = addressBook,
    });

    private static Message Beat(ulong from, ulong to, ulong term) => new() { Type = MessageType.Heartbeat, From = from, To = to, Term = term };

    /// <summary>Sends until one with this term arrives (the first message to a peer only starts the dial).</summary>
    private static bool Reaches(TcpTransport from, RecordingSink at, ulong to, ulong term) => Wait.Until(() =>
    {
        from.Send(Beat(from.LocalId, to, term));
        from.Flush();
        return at.Messages().Exists(m => m.Term == term);
    }, Timeout);

    [Fact]
    public void A_member_added_at_run_time_is_found_in_the_address_book_and_one_removed_is_cut_off()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        var newcomerSink = new RecordingSink();
        var endPoints = new Dictionary<ulong, IPEndPoint>();
        // The newcomer (3) lists the current members, as a node joining a running cluster does.
        using var newcomer = Keyed(3, key, new Dictionary<ulong, IPEndPoint> { [1] = new IPEndPoint(IPAddress.Loopback, 9) });
        newcomer.Start(newcomerSink);
        endPoints[3] = newcomer.LocalEndPoint!;
        var lookups = new List<ulong>();
        using var leader = Keyed(1, key, new Dictionary<ulong, IPEndPoint>(), addressBook: id =>
        {
            lookups.Add(id);
            return endPoints.GetValueOrDefault(id);
        });
        var leaderSink = new RecordingSink();
        leader.Start(leaderSink);

        // Before the configuration names node 3, nothing is sent to it.
        leader.Send(Beat(1, 3, 1));
        Assert.Equal(1, leader.Counters.MessagesDropped);
        Assert.Empty(lookups);

        leader.OnConfigurationChanged(new ConfState { Voters = [1], Learners = [3] });
        Assert.Equal([3UL], lookups);
        Assert.True(Reaches(leader, newcomerSink, 3, 2));

        // While a member, node 3 may connect to the leader too.
        using var fromNewcomer = Keyed(3, key, new Dictionary<ulong, IPEndPoint> { [1] = leader.LocalEndPoint! });
        fromNewcomer.Start(new RecordingSink());
        Assert.True(Reaches(fromNewcomer, leaderSink, 1, 3));

        // Node 3 leaves: the leader drops what it would send to it, and a new dial from node 3 is refused.
        long cutBefore = leader.Counters.Refused(TcpRefusalReason.NoLongerMember);
        leader.OnConfigurationChanged(new ConfState { Voters = [1] });
        long dropped = leader.Counters.MessagesDropped;
        leader.Send(Beat(1, 3, 4));
        Assert.Equal(dropped + 1, leader.Counters.MessagesDropped);
        long refusedBefore = leader.Counters.HandshakesRefused;
        using var again = Keyed(3, key, new Dictionary<ulong, IPEndPoint> { [1] = leader.LocalEndPoint! });
        again.Start(new RecordingSink());
        Assert.True(Wait.Until(() =>
        {
            again.Send(Beat(3, 1, 5));
            again.Flush();
            return leader.Counters.HandshakesRefused > refusedBefore;
        }, Timeout));
        Assert.DoesNotContain(leaderSink.Messages(), m => m.From == 3 && m.Term == 5);
        // The connection node 3 opened while a member is closed at its next message.
        Assert.True(Wait.Until(() =>
        {
            fromNewcomer.Send(Beat(3, 1, 6));
            fromNewcomer.Flush();
            return leader.Counters.Refused(TcpRefusalReason.NoLongerMember) > cutBefore;
        }, Timeout));
        Assert.DoesNotContain(leaderSink.Messages(), m => m.From == 3 && m.Term == 6);
    }

    [Fact]
    public void A_member_the_address_book_cannot_place_yet_is_asked_again_when_messages_are_sent()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        var sink = new RecordingSink();
        using var target = Keyed(2, key, new Dictionary<ulong, IPEndPoint> { [1] = new IPEndPoint(IPAddress.Loopback, 9) });
        target.Start(sink);
        IPEndPoint? known = null;
        int lookups = 0;
        using var leader = Keyed(1, key, new Dictionary<ulong, IPEndPoint>(), addressBook: _ =>
        {
            lookups++;
            return known;
        });
        leader.Start(new RecordingSink());
        leader.OnConfigurationChanged(new ConfState { Voters = [1, 2] });
        Assert.Equal(1, lookups);
        // Asked again at most every 100 ms, not on every message.
        for (int i = 0; i < 100; i++)
        {
            leader.Send(Beat(1, 2, 1));
        }
        Assert.True(lookups <= 2, $"{lookups} lookups");

        known = target.LocalEndPoint;
        Assert.True(Reaches(leader, sink, 2, 5));
    }
}

/// <summary>Peers known at start are dialled at start, so the first messages of an election find a connection.</summary>
public class TcpDialAtStartTests
{
    [Fact]
    public void A_listed_peer_is_connected_before_anything_is_sent_and_the_first_message_arrives()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        var sink = new RecordingSink();
        using var receiver = TcpMembershipTests.Keyed(2, key, new Dictionary<ulong, IPEndPoint> { [1] = new IPEndPoint(IPAddress.Loopback, 9) });
        receiver.Start(sink);
        using var sender = TcpMembershipTests.Keyed(1, key, new Dictionary<ulong, IPEndPoint> { [2] = receiver.LocalEndPoint! });
        sender.Start(new RecordingSink());
        Assert.True(Wait.Until(() => sender.Counters.Connects == 1, TimeSpan.FromSeconds(20)));
        sender.Send(new Message { Type = MessageType.Vote, From = 1, To = 2, Term = 9 });
        sender.Flush();
        Assert.True(sink.WaitFor(1, TimeSpan.FromSeconds(20)));
        Assert.Equal(0, sender.Counters.MessagesDropped);
    }
}
