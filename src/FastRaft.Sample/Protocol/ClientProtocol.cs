using System.Buffers;
using System.Net;
using FastRaft.Sample.Matching;
using MessagePack;

namespace FastRaft.Sample.Protocol;

/// <summary>
/// The sample's client protocol: one MessagePack message per request and per reply, each in its
/// own frame (<see cref="FastRaft.Codec.Framing.FrameFormat"/>) on a TCP connection to a node's
/// client gateway (separate from its Raft port). Requests may be pipelined; replies come in the
/// order requests complete, each naming its request id.
/// <list type="bullet">
/// <item>submit: <c>[1, 1, requestId, bin command]</c> → <c>[1, 1, requestId, nodeId, status, leaderHint, index, term, result]</c></item>
/// <item>query: <c>[1, 2, requestId, [clientId...]]</c> → <c>[1, 2, requestId, nodeId, role, term, leader, commit, lastApplied, bin hash, statistics, resting, [[clientId, lastSequence, applied]...]]</c></item>
/// <item>membership: <c>[1, 3, requestId, op, nodeId, "ip:port" | nil, timestampMs, bin mac | nil]</c> → <c>[1, 3, requestId, nodeId, status, leaderHint, index, [voter...], [learner...], detail]</c>;
/// the MAC (<see cref="MembershipAuthentication"/>) covers every byte of the datagram before it.</item>
/// </list>
/// Requests are idempotent (commands carry client id and sequence number; membership changes
/// are answered from memory when repeated), so a client resends on a timeout. Every reader here
/// is total: anything that does not parse is reported as false (and dropped by the receiver and
/// counted), never thrown.
/// </summary>
public static class ClientProtocol
{
    public const int Version = 1;
    public const byte KindSubmit = 1;
    public const byte KindQuery = 2;
    public const byte KindMembership = 3;

    /// <summary>The longest address text a membership request or a submit reply's leader address may carry.</summary>
    public const int MaxAddressLength = 64;

    /// <summary>The longest detail text a membership reply carries (longer ones are cut).</summary>
    public const int MaxDetailChars = 128;

    // UTF-8 takes at most 3 bytes per UTF-16 char.
    private const int MaxDetailBytes = 3 * MaxDetailChars;

    private const int MaxRoleLength = 32;
    private const int MaxHashLength = 64;
    private const int SubmitFields = 4;
    private const int QueryFields = 4;
    private const int MembershipFields = 8;
    private const int MembershipReplyFields = 10;

    /// <summary>Client ids one query may ask about (keeps the reply within <see cref="MaxMessageSize"/>).</summary>
    public const int MaxQueryClients = 256;

    /// <summary>The largest request or reply: the bound on a gateway frame's payload.</summary>
    public const int MaxMessageSize = 16 * 1024;

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

    /// <summary>A submit reply's fields: version, kind, request id, node, status, leader hint, index, term, result, leader address.</summary>
    private const int SubmitReplyFields = 10;

    public static void WriteSubmitReply(IBufferWriter<byte> output, in SubmitReply reply)
    {
        var w = new MessagePackWriter(output);
        w.WriteArrayHeader(SubmitReplyFields);
        w.Write(Version);
        w.Write(KindSubmit);
        w.Write(reply.RequestId);
        w.Write(reply.NodeId);
        w.Write((byte)reply.Status);
        w.Write(reply.LeaderHint);
        w.Write(reply.Index);
        w.Write(reply.Term);
        ResultCodec.Write(ref w, reply.Result);
        if (reply.LeaderAddress is null)
        {
            w.WriteNil();
        }
        else
        {
            w.Write(reply.LeaderAddress.ToString());
        }
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

    /// <summary>
    /// Reads one request that fills <paramref name="datagram"/> exactly. False when it is not a
    /// request of this protocol; never throws. A submit's command is not decoded here (the
    /// endpoint answers an undecodable one BadRequest), nor a membership request's MAC checked.
    /// </summary>
    public static bool TryReadRequest(ReadOnlyMemory<byte> datagram, out ClientRequest request)
    {
        request = default;
        var reader = new MessagePackReader(datagram);
        if (!TryReadRequestHeader(ref reader, out byte kind, out ulong requestId))
        {
            return false;
        }
        switch (kind)
        {
            case KindSubmit:
                if (!TryReadSubmitBody(ref reader, datagram, out ReadOnlyMemory<byte> command))
                {
                    return false;
                }
                request = new ClientRequest(kind, requestId, command, [], default);
                return true;
            case KindQuery:
                if (!TryReadQueryBody(ref reader, out ulong[] clientIds))
                {
                    return false;
                }
                request = new ClientRequest(kind, requestId, default, clientIds, default);
                return true;
            default:
                if (!TryReadMembershipBody(ref reader, datagram, out MembershipRequest membership))
                {
                    return false;
                }
                request = new ClientRequest(kind, requestId, default, [], membership);
                return true;
        }
    }

    /// <summary>Reads a request's header: its kind and id, with the element count that kind has. False when the datagram is not a request of this protocol.</summary>
    public static bool TryReadRequestHeader(ref MessagePackReader reader, out byte kind, out ulong requestId)
    {
        kind = 0;
        requestId = 0;
        if (!MessagePackFields.TryReadArrayHeader(ref reader, out int count)
            || !MessagePackFields.TryReadInt64(ref reader, out long version) || version != Version
            || !MessagePackFields.TryReadInt64(ref reader, out long k)
            || !MessagePackFields.TryReadUInt64(ref reader, out requestId))
        {
            return false;
        }
        bool shaped = k switch
        {
            KindSubmit => count == SubmitFields,
            KindQuery => count == QueryFields,
            KindMembership => count == MembershipFields,
            _ => false,
        };
        kind = shaped ? (byte)k : (byte)0;
        return shaped;
    }

    /// <summary>Reads a submit request's command bytes (a slice of the datagram), which must end it.</summary>
    public static bool TryReadSubmitBody(ref MessagePackReader reader, ReadOnlyMemory<byte> datagram, out ReadOnlyMemory<byte> command)
    {
        command = default;
        if (!MessagePackFields.TryReadBinary(ref reader, out ReadOnlySequence<byte> bytes) || !reader.End)
        {
            return false;
        }
        // The reader reads one contiguous datagram: the bytes are a slice of it, ending where the reader stopped.
        long end = reader.Consumed;
        command = datagram.Slice((int)(end - bytes.Length), (int)bytes.Length);
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

    /// <summary>Reads a membership request's body (op, node, address, timestamp, MAC), which must end the datagram.</summary>
    public static bool TryReadMembershipBody(ref MessagePackReader reader, ReadOnlyMemory<byte> datagram, out MembershipRequest request)
    {
        request = default;
        if (!MessagePackFields.TryReadInt32(ref reader, 0, -1, out int op) || op is < (int)MembershipOp.AddLearner or > (int)MembershipOp.Remove
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong nodeId) || nodeId == 0)
        {
            return false;
        }
        IPEndPoint? address = null;
        if (!MessagePackFields.TryReadNil(ref reader))
        {
            if (!MessagePackFields.TryReadString(ref reader, MaxAddressLength, out string text)
                || !IPEndPoint.TryParse(text, out address) || address.Port == 0)
            {
                return false;
            }
        }
        if ((op == (int)MembershipOp.AddLearner) != (address is not null)
            || !MessagePackFields.TryReadInt64(ref reader, out long timestamp))
        {
            return false;
        }
        int signedLength = (int)reader.Consumed;
        ReadOnlyMemory<byte> mac = default;
        if (!MessagePackFields.TryReadNil(ref reader))
        {
            if (!MessagePackFields.TryReadBinary(ref reader, out ReadOnlySequence<byte> bytes) || bytes.Length != MembershipAuthentication.MacSize)
            {
                return false;
            }
            mac = datagram.Slice((int)(reader.Consumed - bytes.Length), (int)bytes.Length);
        }
        if (!reader.End)
        {
            return false;
        }
        request = new MembershipRequest((MembershipOp)op, nodeId, address, timestamp, mac, signedLength);
        return true;
    }

    /// <summary>
    /// Writes a membership request, signed with <paramref name="signingKey"/>
    /// (<see cref="MembershipAuthentication.DeriveKey"/>) or unsigned when it is null (for a
    /// cluster that runs without a key).
    /// </summary>
    public static void WriteMembership(ArrayBufferWriter<byte> output, ulong requestId, MembershipOp op, ulong nodeId, IPEndPoint? address,
        long timestampMs, byte[]? signingKey)
    {
        ArgumentNullException.ThrowIfNull(output);
        int start = output.WrittenCount;
        var w = new MessagePackWriter(output);
        w.WriteArrayHeader(MembershipFields);
        w.Write(Version);
        w.Write(KindMembership);
        w.Write(requestId);
        w.Write((byte)op);
        w.Write(nodeId);
        if (address is null)
        {
            w.WriteNil();
        }
        else
        {
            w.Write(address.ToString());
        }
        w.Write(timestampMs);
        w.Flush();
        if (signingKey is null)
        {
            w.WriteNil();
        }
        else
        {
            w.Write(MembershipAuthentication.Sign(signingKey, output.WrittenSpan[start..]));
        }
        w.Flush();
    }

    public static void WriteMembershipReply(IBufferWriter<byte> output, MembershipReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var w = new MessagePackWriter(output);
        w.WriteArrayHeader(MembershipReplyFields);
        w.Write(Version);
        w.Write(KindMembership);
        w.Write(reply.RequestId);
        w.Write(reply.NodeId);
        w.Write((byte)reply.Status);
        w.Write(reply.LeaderHint);
        w.Write(reply.Index);
        WriteIds(ref w, reply.Voters);
        WriteIds(ref w, reply.Learners);
        w.Write(reply.Detail.Length > MaxDetailChars ? reply.Detail[..MaxDetailChars] : reply.Detail);
        w.Flush();
    }

    public static bool TryReadMembershipReply(ref MessagePackReader reader, ulong requestId, int fields, out MembershipReply? reply)
    {
        reply = null;
        if (fields != MembershipReplyFields
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong node)
            || !MessagePackFields.TryReadInt32(ref reader, 0, -1, out int status) || status is < 0 or > (int)MembershipStatus.BadRequest
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong hint)
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong index)
            || !TryReadIds(ref reader, out ulong[] voters)
            || !TryReadIds(ref reader, out ulong[] learners)
            || !MessagePackFields.TryReadString(ref reader, MaxDetailBytes, out string detail)
            || !reader.End)
        {
            return false;
        }
        reply = new MembershipReply(requestId, node, (MembershipStatus)status, hint, index, voters, learners, detail);
        return true;
    }

    private static void WriteIds(ref MessagePackWriter w, IReadOnlyList<ulong> ids)
    {
        w.WriteArrayHeader(ids.Count);
        foreach (ulong id in ids)
        {
            w.Write(id);
        }
    }

    private static bool TryReadIds(ref MessagePackReader reader, out ulong[] ids)
    {
        ids = [];
        if (!MessagePackFields.TryReadArrayHeader(ref reader, out int count) || count > MaxQueryClients)
        {
            return false;
        }
        var read = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            if (!MessagePackFields.TryReadUInt64(ref reader, out read[i]))
            {
                return false;
            }
        }
        ids = read;
        return true;
    }

    /// <summary>Reads a reply's header (version, kind, request id). False when it is not a reply of this protocol.</summary>
    public static bool TryReadReplyHeader(ref MessagePackReader reader, out byte kind, out ulong requestId, out int fields)
    {
        kind = 0;
        requestId = 0;
        return MessagePackFields.TryReadArrayHeader(ref reader, out fields)
            && MessagePackFields.TryReadInt64(ref reader, out long version) && version == Version
            && MessagePackFields.TryReadInt64(ref reader, out long k) && k is KindSubmit or KindQuery or KindMembership
            && (kind = (byte)k) != 0
            && MessagePackFields.TryReadUInt64(ref reader, out requestId);
    }

    public static bool TryReadSubmitReply(ref MessagePackReader reader, ulong requestId, int fields, out SubmitReply reply)
    {
        reply = default;
        if (fields != SubmitReplyFields
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong node)
            || !MessagePackFields.TryReadInt32(ref reader, 0, -1, out int status) || status is < 0 or > (int)SubmitStatus.BadRequest
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong hint)
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong index)
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong term)
            || !ResultCodec.TryRead(ref reader, out CommandResult result)
            || !TryReadAddress(ref reader, out IPEndPoint? leaderAddress)
            || !reader.End)
        {
            return false;
        }
        reply = new SubmitReply(requestId, node, (SubmitStatus)status, hint, index, term, result, leaderAddress);
        return true;
    }

    /// <summary>Nil, or an "address:port" string of bounded length that parses (anything else is malformed).</summary>
    private static bool TryReadAddress(ref MessagePackReader reader, out IPEndPoint? address)
    {
        address = null;
        if (MessagePackFields.TryReadNil(ref reader))
        {
            return true;
        }
        return MessagePackFields.TryReadString(ref reader, MaxAddressLength, out string text)
            && IPEndPoint.TryParse(text, out address) && address.Port != 0;
    }

    public static bool TryReadQueryReply(ref MessagePackReader reader, int fields, out ReplicaState? state)
    {
        state = null;
        EngineStatistics s = default;
        if (fields != 13
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong node)
            || !MessagePackFields.TryReadString(ref reader, MaxRoleLength, out string role)
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong term)
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong leader)
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong commit)
            || !MessagePackFields.TryReadUInt64(ref reader, out ulong applied)
            || !MessagePackFields.TryReadBinary(ref reader, out ReadOnlySequence<byte> hash) || hash.Length > MaxHashLength
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
