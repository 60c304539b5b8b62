using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FastRaft.FaultCampaign.Hostile;

/// <summary>
/// The campaign's attacker, run as its own process in the bridge's namespace: it listens to the
/// cluster's Raft traffic and, in bursts, sends the nodes random datagrams, mutations and exact
/// replays of what it heard, Raft messages forged under the members' names with a wrong key,
/// and malformed requests, lying frame headers and frames cut short at the client gateways (TCP). It prints one line per burst and stops by itself.
/// </summary>
internal static class HostileSender
{
    private const int MaxDatagram = 1_500;

    /// <summary>What a burst sends, by share of its datagrams (out of 100).</summary>
    private enum Kind
    {
        RandomRaft,
        MutatedReplay,
        ExactReplay,
        Forged,
        ClientGarbage,
    }

    public static int Run(HostileOptions o, TextWriter output)
    {
        var random = new Random(o.Seed);
        var clock = Stopwatch.StartNew();
        var ports = new HashSet<int>();
        foreach (IPEndPoint ep in o.Members.Values)
        {
            ports.Add(ep.Port);
        }
        using FrameCapture? capture = FrameCapture.TryStart(ports, out string noCapture);
        if (capture is null)
        {
            output.WriteLine($"hostile: {noCapture}");
        }
        IPAddress bind = LocalAddressFacing(o.Members.Values.First());
        using var forger = new Forger(o.ClusterId, o.Members, bind, random);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(bind, 0));
        IPEndPoint[] members = [.. o.Members.Values];
        var gateways = new GatewayGarbage();
        byte[] buffer = new byte[65_536];
        long[] sent = new long[5];
        int burst = 0;
        output.WriteLine($"hostile: from {bind}, {o.Rate:N0} datagrams/s for {o.Burst.TotalSeconds:0.#} s every {o.Every.TotalSeconds:0.#} s, for {o.Duration.TotalSeconds:0} s");
        // A quiet start: the capture gathers real traffic to replay.
        TimeSpan nextBurst = o.Every / 2;
        while (clock.Elapsed + o.Burst <= o.Duration)
        {
            Sleep(nextBurst - clock.Elapsed);
            burst++;
            Array.Clear(sent);
            TimeSpan start = clock.Elapsed;
            long planned = (long)(o.Rate * o.Burst.TotalSeconds);
            for (long i = 0; i < planned; i++)
            {
                // Paced in 1 ms steps so a burst is a stream, not one spike.
                TimeSpan due = start + TimeSpan.FromSeconds(i / (double)o.Rate);
                if (due - clock.Elapsed > TimeSpan.FromMilliseconds(1))
                {
                    Sleep(due - clock.Elapsed);
                }
                Kind kind = Choose(random);
                if (Fire(kind, random, socket, members, o.Clients, capture, forger, gateways, buffer))
                {
                    sent[(int)kind]++;
                }
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"hostile: burst {burst} at {start.TotalSeconds:0.0}s: {Sum(sent):N0} datagrams (random {sent[0]:N0}, mutated {sent[1]:N0}, replayed {sent[2]:N0}, forged {sent[3]:N0}, client gateway connections {sent[4]:N0}); captured {capture?.Captured ?? 0:N0} so far"));
            nextBurst = start + o.Every;
        }
        output.WriteLine($"hostile: done after {burst} bursts, {forger.Sent:N0} forged messages in all");
        return 0;
    }

    private static Kind Choose(Random random) => random.Next(100) switch
    {
        < 25 => Kind.RandomRaft,
        < 45 => Kind.MutatedReplay,
        < 65 => Kind.ExactReplay,
        < 75 => Kind.Forged,
        _ => Kind.ClientGarbage,
    };

    private static bool Fire(Kind kind, Random random, Socket socket, IPEndPoint[] members, List<IPEndPoint> clients, FrameCapture? capture, Forger forger, GatewayGarbage gateways, byte[] buffer)
    {
        switch (kind)
        {
            case Kind.RandomRaft:
                return SendTo(socket, buffer.AsSpan(0, Garbage.Random(random, buffer, MaxDatagram)), members[random.Next(members.Length)]);
            case Kind.MutatedReplay when capture is not null && capture.TryPick(random, out IPEndPoint to, out byte[] payload):
                return SendTo(socket, buffer.AsSpan(0, Garbage.Mutate(random, payload, buffer)), to);
            case Kind.ExactReplay when capture is not null && capture.TryPick(random, out IPEndPoint to, out byte[] payload):
                return SendTo(socket, payload, to);
            case Kind.Forged:
                forger.Send(random, 1);
                return true;
            case Kind.ClientGarbage when clients.Count > 0:
                // The client ports are TCP gateways now: garbage arrives on short connections.
                return gateways.TrySend(random, clients[random.Next(clients.Count)], buffer);
            default:
                return false;
        }
    }

    private static bool SendTo(Socket socket, ReadOnlySpan<byte> datagram, IPEndPoint to)
    {
        try
        {
            socket.SendTo(datagram, SocketFlags.None, to);
            return true;
        }
        catch (SocketException)
        {
            // A full send buffer or an ICMP error from an earlier datagram: this one is lost, as on a real network.
            return false;
        }
    }

    /// <summary>The address this namespace sends from towards <paramref name="target"/>.</summary>
    private static IPAddress LocalAddressFacing(IPEndPoint target)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Connect(target);
        return ((IPEndPoint)probe.LocalEndPoint!).Address;
    }

    private static void Sleep(TimeSpan t)
    {
        if (t > TimeSpan.Zero)
        {
            Thread.Sleep(t);
        }
    }

    private static long Sum(long[] values)
    {
        long total = 0;
        foreach (long v in values)
        {
            total += v;
        }
        return total;
    }
}
