using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastRaft.Tests.Udp;
using FastRaft.Transport.Tcp;

namespace FastRaft.Tests.Tcp;

/// <summary>A flood of connections and a handshake that never comes are refused and counted; the listener keeps accepting.</summary>
public class TcpConnectionLimitTests
{
    private static TcpTransport Listening(TimeSpan handshakeTimeout, int maxInbound)
    {
        var t = new TcpTransport(new TcpTransportOptions
        {
            LocalId = 1,
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Peers = new Dictionary<ulong, IPEndPoint> { [2] = new IPEndPoint(IPAddress.Loopback, 9) },
            ClusterKey = RandomNumberGenerator.GetBytes(32),
            HandshakeTimeout = handshakeTimeout,
            MaxInboundConnections = maxInbound,
        });
        t.StartPumped(new RecordingSink());
        return t;
    }

    private static async Task<Socket> Open(IPEndPoint at)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(at);
        return s;
    }

    [Fact]
    public async Task Connections_beyond_the_limit_are_closed_at_accept()
    {
        using TcpTransport t = Listening(TimeSpan.FromSeconds(30), maxInbound: 2);
        var sockets = new List<Socket>();
        for (int i = 0; i < 6; i++)
        {
            sockets.Add(await Open(t.LocalEndPoint!));
        }
        Assert.True(Wait.Until(() => t.Counters.ConnectionsRefused >= 4, TimeSpan.FromSeconds(10)), $"{t.Counters.ConnectionsRefused} refused");
        foreach (Socket s in sockets)
        {
            s.Dispose();
        }
    }

    [Fact]
    public async Task A_connection_that_never_completes_its_handshake_is_closed_at_the_deadline_and_frees_its_slot()
    {
        using TcpTransport t = Listening(TimeSpan.FromMilliseconds(200), maxInbound: 1);
        using Socket slow = await Open(t.LocalEndPoint!);
        await slow.SendAsync(new byte[10]); // part of a hello, never the rest
        Assert.True(Wait.Until(() => t.Counters.HandshakesRefused >= 1, TimeSpan.FromSeconds(10)));
        byte[] buffer = new byte[16];
        Assert.Equal(0, await slow.ReceiveAsync(buffer).WaitAsync(TimeSpan.FromSeconds(10)));
        // The slot is free again: the next connection is accepted (and refused only by its own deadline).
        using Socket next = await Open(t.LocalEndPoint!);
        Assert.True(Wait.Until(() => t.Counters.HandshakesRefused >= 2, TimeSpan.FromSeconds(10)));
        Assert.Equal(0, t.Counters.ConnectionsRefused);
    }
}

/// <summary>The transport's counters are published as System.Diagnostics.Metrics instruments.</summary>
public class TcpTransportMetricsTests
{
    [Fact]
    public async Task Refusals_show_on_the_refusals_instrument_of_the_tcp_meter_split_by_reason()
    {
        var t = new TcpTransport(new TcpTransportOptions
        {
            LocalId = 7,
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Peers = new Dictionary<ulong, IPEndPoint> { [8] = new IPEndPoint(IPAddress.Loopback, 9) },
            ClusterKey = RandomNumberGenerator.GetBytes(32),
            HandshakeTimeout = TimeSpan.FromMilliseconds(100),
        });
        using (t)
        {
            t.StartPumped(new RecordingSink());
            using (var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                await s.ConnectAsync(t.LocalEndPoint!);
                await s.SendAsync(Enumerable.Repeat((byte)0xEE, 100).ToArray()); // garbage, not a handshake
            }
            Assert.True(Wait.Until(() => t.Counters.Refused(TcpRefusalReason.NotAHandshake) >= 1, TimeSpan.FromSeconds(10)));

            long handshakeRefusals = -1;
            long tooMany = -1;
            using var listener = new System.Diagnostics.Metrics.MeterListener();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == TcpTransport.MeterName && instrument.Meter.Tags!.Any(tag => tag.Key == "fastraft.node_id" && (ulong)tag.Value! == 7))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                if (instrument.Name == "fastraft.tcp.refusals")
                {
                    foreach (KeyValuePair<string, object?> tag in tags)
                    {
                        if (tag.Key == "reason" && (string?)tag.Value == "not_a_handshake")
                        {
                            handshakeRefusals = value;
                        }
                        if (tag.Key == "reason" && (string?)tag.Value == "too_many_connections")
                        {
                            tooMany = value;
                        }
                    }
                }
            });
            listener.Start();
            listener.RecordObservableInstruments();
            Assert.Equal(t.Counters.Refused(TcpRefusalReason.NotAHandshake), handshakeRefusals);
            Assert.Equal(0, tooMany); // every reason is published, refused or not
        }
    }
}
