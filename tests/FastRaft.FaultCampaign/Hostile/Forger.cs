using System.Net;
using System.Security.Cryptography;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Transport.Udp;

namespace FastRaft.FaultCampaign.Hostile;

/// <summary>
/// Well-formed Raft messages that would do harm if believed — heartbeats with an impossible commit
/// index, terms at the top of the 64-bit range, appends of made-up entries, TimeoutNow, junk
/// snapshots — sent in real FastRaft datagrams under the names of the cluster's members, but
/// sealed with a key that is not the cluster's, or sent unauthenticated (checksummed, as an
/// insecure transport sends them). An authenticated node must drop every one.
/// </summary>
internal sealed class Forger : IDisposable
{
    private readonly List<(UdpTransport Transport, ulong[] Victims)> _impostors = [];
    private readonly byte[] _junk = new byte[256 * 1024];

    public Forger(ulong clusterId, IReadOnlyDictionary<ulong, IPEndPoint> members, IPAddress bind, Random random)
    {
        random.NextBytes(_junk);
        byte[] wrongKey = RandomNumberGenerator.GetBytes(32);
        foreach (bool keyed in (bool[])[true, false])
        {
            foreach (ulong impersonated in members.Keys)
            {
                _impostors.Add(Impostor(clusterId, members, bind, impersonated, keyed ? wrongKey : null));
            }
        }
    }

    private static (UdpTransport, ulong[]) Impostor(ulong clusterId, IReadOnlyDictionary<ulong, IPEndPoint> members, IPAddress bind, ulong impersonated, byte[]? key)
    {
        {
            var options = new UdpTransportOptions
            {
                LocalId = impersonated,
                ClusterId = clusterId,
                Bind = new IPEndPoint(bind, 0),
                MaxDatagramSize = 1_400,
                ClusterKey = key,
                InsecureNoAuthentication = key is null,
                // The impostor's own insecurity is the point; its start-up warning is noise here.
                Logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance,
            };
            List<ulong> victims = [];
            foreach ((ulong id, IPEndPoint endPoint) in members)
            {
                if (id != impersonated)
                {
                    options.Peers[id] = endPoint;
                    victims.Add(id);
                }
            }
            var transport = new UdpTransport(options);
            transport.Start(new DiscardingSink());
            return (transport, [.. victims]);
        }
    }

    /// <summary>Messages sent so far.</summary>
    public long Sent { get; private set; }

    /// <summary>Sends <paramref name="count"/> forged messages, each of a kind chosen by <paramref name="random"/>.</summary>
    public void Send(Random random, int count)
    {
        for (int i = 0; i < count; i++)
        {
            (UdpTransport transport, ulong[] victims) = _impostors[random.Next(_impostors.Count)];
            ulong victim = victims[random.Next(victims.Length)];
            Message m = Forge(random, transport.LocalId, victim);
            transport.Send(in m);
            Sent++;
        }
        foreach ((UdpTransport transport, _) in _impostors)
        {
            transport.Flush();
        }
    }

    public void Dispose()
    {
        foreach ((UdpTransport transport, _) in _impostors)
        {
            transport.Dispose();
        }
    }

    private Message Forge(Random random, ulong from, ulong to)
    {
        // Terms the cluster plausibly has, and ones at the edge of the range.
        ulong term = random.Next(4) switch
        {
            0 => ulong.MaxValue,
            1 => ulong.MaxValue - (ulong)random.Next(3),
            _ => (ulong)random.Next(1, 64),
        };
        ulong index = random.Next(2) == 0 ? (ulong)random.NextInt64(1, 10_000_000) : ulong.MaxValue - 1;
        var m = new Message { From = from, To = to, Term = term };
        switch (random.Next(7))
        {
            case 0:
                m.Type = MessageType.Heartbeat;
                m.Commit = index;
                break;
            case 1:
                m.Type = MessageType.Append;
                m.Index = index - 1;
                m.LogTerm = term;
                m.Commit = index;
                m.Entries = new[] { new Entry(term, index, EntryType.Normal, _junk.AsMemory(0, random.Next(1, 200))) };
                break;
            case 2:
                m.Type = MessageType.TimeoutNow;
                break;
            case 3:
                m.Type = random.Next(2) == 0 ? MessageType.Vote : MessageType.PreVote;
                m.Index = index;
                m.LogTerm = term;
                break;
            case 4:
                m.Type = MessageType.Snapshot;
                var conf = new ConfState { Voters = [from, to] };
                m.Snapshot = new Snapshot(_junk.AsMemory(0, random.Next(1, _junk.Length)), new SnapshotMetadata(conf, index, term));
                break;
            case 5:
                m.Type = MessageType.AppendResponse;
                m.Index = index;
                m.Reject = random.Next(2) == 0;
                m.RejectHint = index;
                break;
            default:
                m.Type = MessageType.HeartbeatResponse;
                break;
        }
        return m;
    }

    /// <summary>The impostors answer nothing: whatever comes back is dropped.</summary>
    private sealed class DiscardingSink : ITransportSink
    {
        public bool Deliver(InboundBatch batch)
        {
            batch.Release();
            return false;
        }

        public void ReportUnreachable(ulong nodeId)
        {
        }

        public void ReportSnapshot(ulong nodeId, SnapshotStatus status)
        {
        }
    }
}
