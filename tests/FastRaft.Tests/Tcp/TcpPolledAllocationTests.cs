using System.Net;
using System.Security.Cryptography;
using FastRaft.Protocol;
using FastRaft.Tests.Codec;
using FastRaft.Tests.Udp;
using FastRaft.Transport.Tcp;

namespace FastRaft.Tests.Tcp;

/// <summary>The polled mode's message path on one thread — Send, Flush, wake, idle wait, Poll and delivery — allocates nothing per message.</summary>
public class TcpPolledAllocationTests
{
    private const int Rounds = 400;

    [Fact]
    public void Sending_and_polling_messages_allocates_nothing_in_steady_state()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        var sink = new RecordingSink { Keep = false };
        using var receiver = new TcpTransport(new TcpTransportOptions
        {
            LocalId = 2,
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Peers = new Dictionary<ulong, IPEndPoint> { [1] = new IPEndPoint(IPAddress.Loopback, 9) },
            ClusterKey = key,
        });
        receiver.Start(sink);
        using var sender = new TcpTransport(new TcpTransportOptions
        {
            LocalId = 1,
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Peers = new Dictionary<ulong, IPEndPoint> { [2] = receiver.LocalEndPoint! },
            ClusterKey = key,
        });
        sender.Start(new RecordingSink());
        Message app = CodecFixtures.App(entries: 4, payloadSize: 32) with { From = 1, To = 2 };
        Message heartbeat = new(MessageType.Heartbeat, from: 1, to: 2, term: 7) { Commit = 99, Context = new byte[] { 1, 2 } };
        TimeProvider time = TimeProvider.System;

        // Connected: the first sends only start the dial (and are dropped).
        Assert.True(Wait.Until(() =>
        {
            sender.Send(in heartbeat);
            sender.Flush();
            receiver.Poll(time.GetTimestamp());
            return sink.Count > 0;
        }, TimeSpan.FromSeconds(20)));
        long expected = sink.Count;

        void Run()
        {
            for (int i = 0; i < Rounds; i++)
            {
                sender.Send(in app);
                sender.Send(in heartbeat);
                sender.Flush();
                receiver.WaitSource!.Wake();
                expected += 2;
                if (i % 16 == 15)
                {
                    PollUntil(receiver, sink, expected, time);
                }
            }
            PollUntil(receiver, sink, expected, time);
        }

        Run(); // warm up
        var rounds = new List<long>();
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Run();
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            if (rounds[^1] == 0)
            {
                break;
            }
        }
        Assert.Equal(expected, sink.Count);
        Assert.True(rounds.Contains(0L), $"bytes allocated per round of {Rounds * 2} messages: {string.Join(", ", rounds)}");
    }

    private static void PollUntil(TcpTransport transport, RecordingSink sink, long count, TimeProvider time)
    {
        long deadline = Environment.TickCount64 + 10_000;
        while (sink.Count < count)
        {
            if (Environment.TickCount64 > deadline)
            {
                Assert.Fail($"receiver stuck at {sink.Count} of {count} messages");
            }
            if (transport.Poll(time.GetTimestamp()) == 0)
            {
                transport.WaitSource!.Wait(TimeSpan.FromMilliseconds(1));
            }
        }
    }
}
