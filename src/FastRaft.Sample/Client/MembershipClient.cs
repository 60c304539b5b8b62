using System.Buffers;
using System.Diagnostics;
using System.Net;
using FastRaft.Sample.Protocol;
using MessagePack;

namespace FastRaft.Sample.Client;

/// <summary>
/// Asks a cluster for membership changes over the client protocol, through the nodes' gateways
/// (a connection per node asked, kept while it works): finds the leader (following NotLeader
/// hints, moving on from silent or unreachable nodes), signs each request with the cluster key,
/// and resends under the same request id until a final answer, so a change is made at most once.
/// </summary>
public sealed class MembershipClient : IDisposable
{
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);

    private readonly IReadOnlyDictionary<ulong, IPEndPoint> _nodes;
    private readonly ulong[] _ids;
    private readonly byte[]? _signingKey;
    private readonly Dictionary<ulong, ClientConnection> _connections = [];

    /// <param name="nodes">The members' client-port addresses by node id.</param>
    /// <param name="clusterKey">The cluster key to sign with; null sends unsigned requests (a cluster run with --insecure-no-auth).</param>
    public MembershipClient(IReadOnlyDictionary<ulong, IPEndPoint> nodes, byte[]? clusterKey)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Count == 0)
        {
            throw new ArgumentException("at least one node address is needed", nameof(nodes));
        }
        _nodes = nodes;
        _ids = [.. nodes.Keys.Order()];
        _signingKey = clusterKey is null ? null : MembershipAuthentication.DeriveKey(clusterKey);
    }

    /// <summary>The node last taken for the leader (0: none known).</summary>
    public ulong Leader { get; private set; }

    /// <summary>
    /// Asks for one change. True with the final answer (Ok, Refused, Unauthorized, BadRequest);
    /// false when none came before <paramref name="timeout"/>, with the last answer seen (if any).
    /// </summary>
    public bool TryChange(MembershipOp op, ulong nodeId, IPEndPoint? address, TimeSpan timeout, out MembershipReply? reply)
    {
        reply = null;
        ulong requestId = (ulong)Random.Shared.NextInt64(1, long.MaxValue);
        var clock = Stopwatch.StartNew();
        ulong target = Leader != 0 ? Leader : _ids[0];
        while (clock.Elapsed < timeout)
        {
            MembershipReply? answer = Attempt(target, requestId, op, nodeId, address);
            if (answer is null)
            {
                // Silence: that node may be down; try the next.
                target = Next(target);
                continue;
            }
            reply = answer;
            switch (answer.Status)
            {
                case MembershipStatus.Ok:
                    Leader = answer.NodeId;
                    return true;
                case MembershipStatus.NotLeader:
                    target = answer.LeaderHint != 0 && answer.LeaderHint != answer.NodeId && _nodes.ContainsKey(answer.LeaderHint)
                        ? answer.LeaderHint
                        : Next(answer.NodeId);
                    Leader = target;
                    Thread.Sleep(RetryDelay);
                    break;
                case MembershipStatus.Unavailable:
                    Thread.Sleep(RetryDelay);
                    break;
                default:
                    return true;
            }
        }
        return false;
    }

    public void Dispose()
    {
        foreach (ClientConnection c in _connections.Values)
        {
            c.Dispose();
        }
        _connections.Clear();
    }

    /// <summary>The node after <paramref name="node"/> in id order (the first for an unknown one).</summary>
    private ulong Next(ulong node) => _ids[(Array.IndexOf(_ids, node) + 1) % _ids.Length];

    private MembershipReply? Attempt(ulong target, ulong requestId, MembershipOp op, ulong nodeId, IPEndPoint? address)
    {
        if (!_connections.TryGetValue(target, out ClientConnection? connection))
        {
            connection = ClientConnection.TryConnect(_nodes[target], AttemptTimeout);
            if (connection is null)
            {
                Thread.Sleep(RetryDelay);
                return null;
            }
            _connections[target] = connection;
        }
        // Signed afresh each time (the timestamp bounds replays); the request id stays, so the leader applies it once.
        var request = new ArrayBufferWriter<byte>(128);
        ClientProtocol.WriteMembership(request, requestId, op, nodeId, address, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), _signingKey);
        connection.Queue(request.WrittenSpan);
        if (connection.Flush())
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < AttemptTimeout && !connection.IsClosed)
            {
                int waitMicros = (int)Math.Max(1, (AttemptTimeout - clock.Elapsed).TotalMicroseconds);
                if (connection.TryReceive(waitMicros, out ReadOnlyMemory<byte> payload) && TryRead(payload, requestId, out MembershipReply? reply))
                {
                    return reply;
                }
            }
        }
        // Silent or closed: a fresh connection next time.
        _connections.Remove(target);
        connection.Dispose();
        return null;
    }

    private static bool TryRead(ReadOnlyMemory<byte> datagram, ulong requestId, out MembershipReply? reply)
    {
        reply = null;
        var reader = new MessagePackReader(datagram);
        return ClientProtocol.TryReadReplyHeader(ref reader, out byte kind, out ulong id, out int fields)
            && kind == ClientProtocol.KindMembership && id == requestId
            && ClientProtocol.TryReadMembershipReply(ref reader, id, fields, out reply);
    }
}
