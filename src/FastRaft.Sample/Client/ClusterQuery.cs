using System.Buffers;
using System.Net;
using System.Net.Sockets;
using FastRaft.Sample.Protocol;
using MessagePack;

namespace FastRaft.Sample.Client;

/// <summary>Asks nodes for their replica state over the client protocol.</summary>
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
        using var socket = new Socket(node.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(node.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
        ReplicaState? merged = null;
        var clients = new List<ClientState>(clientIds.Count);
        ulong requestId = (ulong)Random.Shared.NextInt64(1, long.MaxValue);
        for (int from = 0; from == 0 || from < clientIds.Count; from += ClientProtocol.MaxQueryClients)
        {
            ulong[] batch = [.. clientIds.Skip(from).Take(ClientProtocol.MaxQueryClients)];
            ReplicaState? part = QueryOnce(socket, node, ++requestId, batch, timeout, attempts);
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

    private static ReplicaState? QueryOnce(Socket socket, IPEndPoint node, ulong requestId, ulong[] clientIds, TimeSpan timeout, int attempts)
    {
        var request = new ArrayBufferWriter<byte>(64 + 9 * clientIds.Length);
        ClientProtocol.WriteQuery(request, requestId, clientIds);
        byte[] buffer = new byte[ClientProtocol.MaxDatagramSize];
        for (int attempt = 0; attempt < attempts; attempt++)
        {
            try
            {
                socket.SendTo(request.WrittenSpan, SocketFlags.None, node);
            }
            catch (SocketException)
            {
                continue;
            }
            DateTime deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                int waitMicros = (int)Math.Max(1, (deadline - DateTime.UtcNow).TotalMicroseconds);
                try
                {
                    if (!socket.Poll(waitMicros, SelectMode.SelectRead))
                    {
                        break;
                    }
                    int n = socket.Receive(buffer);
                    if (TryRead(buffer.AsMemory(0, n), requestId, out ReplicaState? state))
                    {
                        return state;
                    }
                }
                catch (SocketException)
                {
                    break;
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
