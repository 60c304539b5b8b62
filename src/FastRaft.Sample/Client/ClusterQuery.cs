using System.Buffers;
using System.Net;
using FastRaft.Sample.Protocol;
using MessagePack;

namespace FastRaft.Sample.Client;

/// <summary>Asks nodes for their replica state over the client protocol (a connection to the node's gateway per query).</summary>
public static class ClusterQuery
{
    /// <summary>
    /// Queries <paramref name="node"/> for its state and the records of <paramref name="clientIds"/>
    /// (in batches of <see cref="ClientProtocol.MaxQueryClients"/>). Null when it does not answer
    /// within <paramref name="timeout"/> per attempt, after <paramref name="attempts"/> attempts.
    /// </summary>
    public static ReplicaState? Query(IPEndPoint node, IReadOnlyList<ulong> clientIds, TimeSpan timeout, int attempts = 3)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(clientIds);
        ClientConnection? connection = null;
        try
        {
            return Query(node, clientIds, timeout, attempts, ref connection);
        }
        finally
        {
            connection?.Dispose();
        }
    }

    private static ReplicaState? Query(IPEndPoint node, IReadOnlyList<ulong> clientIds, TimeSpan timeout, int attempts, ref ClientConnection? connection)
    {
        ReplicaState? merged = null;
        var clients = new List<ClientState>(clientIds.Count);
        ulong requestId = (ulong)Random.Shared.NextInt64(1, long.MaxValue);
        for (int from = 0; from == 0 || from < clientIds.Count; from += ClientProtocol.MaxQueryClients)
        {
            ulong[] batch = [.. clientIds.Skip(from).Take(ClientProtocol.MaxQueryClients)];
            ReplicaState? part = QueryOnce(ref connection, node, ++requestId, batch, timeout, attempts);
            if (part is null)
            {
                return null;
            }
            // Every batch must describe the same applied state, or the merge would mix two moments.
            if (merged is not null && (merged.LastApplied != part.LastApplied || !merged.StateHash.AsSpan().SequenceEqual(part.StateHash)))
            {
                return null;
            }
            merged ??= part;
            clients.AddRange(part.Clients);
        }
        return merged! with { Clients = clients };
    }

    private static ReplicaState? QueryOnce(ref ClientConnection? connection, IPEndPoint node, ulong requestId, ulong[] clientIds, TimeSpan timeout, int attempts)
    {
        var request = new ArrayBufferWriter<byte>(64 + 9 * clientIds.Length);
        ClientProtocol.WriteQuery(request, requestId, clientIds);
        for (int attempt = 0; attempt < attempts; attempt++)
        {
            if (connection is null || connection.IsClosed)
            {
                connection?.Dispose();
                connection = ClientConnection.TryConnect(node, timeout);
                if (connection is null)
                {
                    continue;
                }
            }
            connection.Queue(request.WrittenSpan);
            if (!connection.Flush())
            {
                continue;
            }
            DateTime deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline && !connection.IsClosed)
            {
                int waitMicros = (int)Math.Max(1, (deadline - DateTime.UtcNow).TotalMicroseconds);
                if (connection.TryReceive(waitMicros, out ReadOnlyMemory<byte> payload) && TryRead(payload, requestId, out ReplicaState? state))
                {
                    return state;
                }
            }
        }
        return null;
    }

    private static bool TryRead(ReadOnlyMemory<byte> datagram, ulong requestId, out ReplicaState? state)
    {
        state = null;
        try
        {
            var reader = new MessagePackReader(datagram);
            return ClientProtocol.TryReadReplyHeader(ref reader, out byte kind, out ulong id, out int fields)
                && kind == ClientProtocol.KindQuery && id == requestId
                && ClientProtocol.TryReadQueryReply(ref reader, fields, out state);
        }
        catch (Exception e) when (e is EndOfStreamException or MessagePackSerializationException or OverflowException)
        {
            return false;
        }
    }
}
