using System.Buffers;
using FastRaft.Sample.Matching;
using MessagePack;

namespace FastRaft.Sample.Protocol;

/// <summary>
/// The sample's client protocol: one MessagePack datagram per request and per reply, on each
/// node's client port (separate from its Raft port).
/// <list type="bullet">
/// <item>submit: <c>[1, 1, requestId, bin command]</c> → <c>[1, 1, requestId, nodeId, status, leaderHint, index, term, result]</c></item>
/// <item>query: <c>[1, 2, requestId, [clientId...]]</c> → <c>[1, 2, requestId, nodeId, role, term, leader, commit, lastApplied, bin hash, statistics, resting, [[clientId, lastSequence, applied]...]]</c></item>
/// </list>
/// Requests are idempotent (commands carry client id and sequence number), so a client resends
/// on a timeout. Anything that does not parse is dropped by the receiver and counted.
/// </summary>
public static class ClientProtocol
{
    public const int Version = 1;
    public const byte KindSubmit = 1;
    public const byte KindQuery = 2;

    /// <summary>Client ids one query may ask about (keeps the reply within one datagram).</summary>
    public const int MaxQueryClients = 256;

    /// <summary>Receive buffer size that holds any request or reply.</summary>
    public const int MaxDatagramSize = 16 * 1024;

    public static void WriteSubmit(IBufferWriter<byte> output, ulong requestId, ReadOnlySpan<byte> command)
    {
        var w = new MessagePackWriter(output);
        w.WriteArrayHeader(4);
        w.Write(Version);
        w.Write(KindSubmit);
        w.Write(requestId);
        w.Write(command);
        w.Flush();
    }

    public static void WriteQuery(IBufferWriter<byte> output, ulong requestId, ReadOnlySpan<ulong> clientIds)
    {
        var w = new MessagePackWriter(output);
        w.WriteArrayHeader(4);
        w.Write(Version);
        w.Write(KindQuery);
        w.Write(requestId);
        w.WriteArrayHeader(clientIds.Length);
        foreach (ulong id in clientIds)
        {
            w.Write(id);
        }
        w.Flush();
    }

    public static void WriteSubmitReply(IBufferWriter<byte> output, in SubmitReply reply)
    {
        var w = new MessagePackWriter(output);
        w.WriteArrayHeader(9);
        w.Write(Version);
        w.Write(KindSubmit);
        w.Write(reply.RequestId);
        w.Write(reply.NodeId);
        w.Write((byte)reply.Status);
        w.Write(reply.LeaderHint);
        w.Write(reply.Index);
        w.Write(reply.Term);
        ResultCodec.Write(ref w, reply.Result);
        w.Flush();
    }

    public static void WriteQueryReply(IBufferWriter<byte> output, ulong requestId, ReplicaState state)
    {
        var w = new MessagePackWriter(output);
        w.WriteArrayHeader(13);
        w.Write(Version);
        w.Write(KindQuery);
        w.Write(requestId);
        w.Write(state.NodeId);
        w.Write(state.Role);
        w.Write(state.Term);
        w.Write(state.Leader);
        w.Write(state.Commit);
        w.Write(state.LastApplied);
        w.Write(state.StateHash);
        EngineStatistics s = state.Statistics;
        w.WriteArrayHeader(8);
        w.Write(s.Commands);
        w.Write(s.OrdersAccepted);
        w.Write(s.Cancels);
        w.Write(s.Rejected);
        w.Write(s.Duplicates);
        w.Write(s.Stale);
        w.Write(s.Trades);
        w.Write(s.Volume);
        w.Write(state.RestingOrders);
        w.WriteArrayHeader(state.Clients.Count);
        foreach (ClientState c in state.Clients)
        {
            w.WriteArrayHeader(3);
            w.Write(c.ClientId);
            w.Write(c.LastSequence);
            w.Write(c.Applied);
        }
        w.Flush();
    }

    /// <summary>Reads a request's header: its kind and id. False when the datagram is not a request of this protocol.</summary>
    public static bool TryReadRequestHeader(ref MessagePackReader reader, out byte kind, out ulong requestId)
    {
        kind = 0;
        requestId = 0;
        return MessagePackFields.TryReadArrayHeader(ref reader, out int count) && count == 4
            && MessagePackFields.TryReadInt64(ref reader, out long version) && version == Version
            && MessagePackFields.TryReadInt64(ref reader, out long k) && k is KindSubmit or KindQuery
            && (kind = (byte)k) != 0
            && MessagePackFields.TryReadUInt64(ref reader, out requestId);
    }

    /// <summary>Reads a submit request's command bytes (a slice of the datagram).</summary>
    public static bool TryReadSubmitBody(ref MessagePackReader reader, ReadOnlyMemory<byte> datagram, out ReadOnlyMemory<byte> command)
    {
        command = default;
        if (reader.End || reader.NextMessagePackType != MessagePackType.Binary)
        {
            return false;
        }
        ReadOnlySequence<byte>? bytes = reader.ReadBytes();
        if (bytes is not { IsSingleSegment: true } b || !reader.End)
        {
            return false;
        }
        // The reader reads one contiguous datagram: the bytes are a slice of it.
        long end = reader.Consumed;
        command = datagram.Slice((int)(end - b.Length), (int)b.Length);
        return true;
    }

    /// <summary>Reads a query request's client ids (at most <see cref="MaxQueryClients"/>).</summary>
    public static bool TryReadQueryBody(ref MessagePackReader reader, out ulong[] clientIds)
    {
        clientIds = [];
        if (!MessagePackFields.TryReadArrayHeader(ref reader, out int count) || count > MaxQueryClients)
        {
            return false;
        }
        var ids = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            if (!MessagePackFields.TryReadUInt64(ref reader, out ids[i]))
            {
                return false;
            }
        }
        clientIds = ids;
        return reader.End;
    }

    /// <summary>Reads a reply's header (version, kind, request id). False when it is not a reply of this protocol.</summary>
    public static bool TryReadReplyHeader(ref MessagePackReader reader, out byte kind, out ulong requestId, out int fields)
    {
        kind = 0;
        requestId = 0;
        return MessagePackFields.TryReadArrayHeader(ref reader, out fields)
            && MessagePackFields.TryReadInt64(ref reader, out long version) && version == Version
            && MessagePackFields.TryReadInt64(ref reader, out long k) && k is KindSubmit or KindQuery
            && (kind = (byte)k) != 0
            && MessagePackFields.TryReadUInt64(ref reader, out requestId);
    }

    public static bool TryReadSubmitReply(ref MessagePackReader reader, ulong requestId, int fields, out SubmitReply reply)
    {
        reply = default;
        if (fields != 9
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong node)
            || !MessagePackFields.TryReadInt32(ref reader, 0, -1, out int status) || status is < 0 or > (int)SubmitStatus.BadRequest
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong hint)
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong index)
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong term)
            || !ResultCodec.TryRead(ref reader, out CommandResult result)
            || !reader.End)
        {
            return false;
        }
        reply = new SubmitReply(requestId, node, (SubmitStatus)status, hint, index, term, result);
        return true;
    }

    public static bool TryReadQueryReply(ref MessagePackReader reader, int fields, out ReplicaState? state)
    {
        state = null;
        EngineStatistics s = default;
        if (fields != 13
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong node)
            || reader.NextMessagePackType != MessagePackType.String || reader.ReadString() is not string role
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong term)
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong leader)
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong commit)
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong applied)
            || reader.NextMessagePackType != MessagePackType.Binary || reader.ReadBytes() is not ReadOnlySequence<byte> hash
            || !MessagePackFields.TryReadArrayHeader(ref reader, out int statFields) || statFields != 8
            || !MessagePackFields.TryReadInt64(ref reader, out s.Commands)
            || !MessagePackFields.TryReadInt64(ref reader, out s.OrdersAccepted)
            || !MessagePackFields.TryReadInt64(ref reader, out s.Cancels)
            || !MessagePackFields.TryReadInt64(ref reader, out s.Rejected)
            || !MessagePackFields.TryReadInt64(ref reader, out s.Duplicates)
            || !MessagePackFields.TryReadInt64(ref reader, out s.Stale)
            || !MessagePackFields.TryReadInt64(ref reader, out s.Trades)
            || !MessagePackFields.TryReadInt64(ref reader, out s.Volume)
            || !MessagePackFields.TryReadInt32(ref reader, 0, -1, out int resting) || resting < 0
            || !MessagePackFields.TryReadArrayHeader(ref reader, out int count) || count > MaxQueryClients)
        {
            return false;
        }
        var clients = new ClientState[count];
        for (int i = 0; i < count; i++)
        {
            if (!MessagePackFields.TryReadArrayHeader(ref reader, out int n) || n != 3
                || !MessagePackFields.TryReadUInt64(ref reader, out ulong id)
                || !MessagePackFields.TryReadUInt64(ref reader, out ulong last)
                || !MessagePackFields.TryReadInt64(ref reader, out long appliedCount))
            {
                return false;
            }
            clients[i] = new ClientState(id, last, appliedCount);
        }
        if (!reader.End)
        {
            return false;
        }
        state = new ReplicaState(node, role, term, leader, commit, applied, hash.ToArray(), s, resting, clients);
        return true;
    }
}
