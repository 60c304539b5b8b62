using FastRaft.Protocol;

namespace FastRaft.Hosting.Groups;

/// <summary>
/// The payload of a multi-group process's control messages (group id 0; see CONTROL-FORMAT.md):
/// a version byte, a kind byte, then for heartbeats and heartbeat responses one or more
/// (group, term, commit) tuples of LEB128 varints. Parsing is total: anything malformed is
/// refused, never thrown.
/// </summary>
internal static class ControlFormat
{
    public const byte Version = 1;

    public const int VersionOffset = 0;
    public const int KindOffset = 1;
    public const int HeaderSize = 2;

    /// <summary>Coalesced heartbeats (message type Heartbeat).</summary>
    public const byte HeartbeatsKind = 1;

    /// <summary>Coalesced heartbeat responses (message type HeartbeatResponse).</summary>
    public const byte ResponsesKind = 2;

    /// <summary>A liveness ping (message type Heartbeat, no body).</summary>
    public const byte PingKind = 3;

    public const int MaxVarintSize = 10;

    /// <summary>The most bytes one (group, term, commit) tuple takes.</summary>
    public const int MaxTupleSize = 3 * MaxVarintSize;

    /// <summary>The payload of a liveness ping.</summary>
    public static readonly byte[] Ping = [Version, PingKind];

    /// <summary>The kind of control message carrying heartbeats of <paramref name="type"/>.</summary>
    public static byte KindOf(MessageType type) => type == MessageType.Heartbeat ? HeartbeatsKind : ResponsesKind;

    public static int WriteVarint(Span<byte> destination, ulong value)
    {
        int n = 0;
        while (value >= 0x80)
        {
            destination[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[n++] = (byte)value;
        return n;
    }

    /// <summary>Reads a canonical varint (no needless trailing zero groups, at most 64 bits).</summary>
    public static bool TryReadVarint(ReadOnlySpan<byte> source, ref int position, out ulong value)
    {
        value = 0;
        for (int i = 0; i < MaxVarintSize; i++)
        {
            if (position + i >= source.Length)
            {
                return false;
            }
            byte b = source[position + i];
            if (i == MaxVarintSize - 1 && b > 1)
            {
                return false; // beyond 64 bits
            }
            value |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                if (i > 0 && b == 0)
                {
                    return false; // overlong: one value, one encoding
                }
                position += i + 1;
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Checks a group-0 message as a control message: the fields a control message does not use
    /// are empty, the version is known and the kind matches the message type. Returns the kind.
    /// </summary>
    public static bool TryReadHeader(in Message m, out byte kind)
    {
        kind = 0;
        ReadOnlySpan<byte> payload = m.Context.Span;
        if (m.GroupId != 0 || m.Term != 0 || m.LogTerm != 0 || m.Index != 0 || m.Commit != 0 || m.Vote != 0
            || m.Reject || m.RejectHint != 0 || !m.Entries.IsEmpty || m.Snapshot is not null
            || payload.Length < HeaderSize || payload[VersionOffset] != Version)
        {
            return false;
        }
        kind = payload[KindOffset];
        return kind switch
        {
            HeartbeatsKind => m.Type == MessageType.Heartbeat && payload.Length > HeaderSize,
            ResponsesKind => m.Type == MessageType.HeartbeatResponse && payload.Length > HeaderSize,
            PingKind => m.Type == MessageType.Heartbeat && payload.Length == HeaderSize,
            _ => false,
        };
    }

    /// <summary>Reads the tuple at <paramref name="position"/>: a non-zero group, a non-zero term, a commit.</summary>
    public static bool TryReadTuple(ReadOnlySpan<byte> payload, ref int position, out ulong group, out ulong term, out ulong commit)
    {
        term = 0;
        commit = 0;
        return TryReadVarint(payload, ref position, out group) && group != 0
            && TryReadVarint(payload, ref position, out term) && term != 0
            && TryReadVarint(payload, ref position, out commit);
    }

    /// <summary>Whether the body after the header is one or more well-formed tuples and nothing else.</summary>
    public static bool TuplesAreValid(ReadOnlySpan<byte> payload)
    {
        int position = HeaderSize;
        while (position < payload.Length)
        {
            if (!TryReadTuple(payload, ref position, out _, out _, out _))
            {
                return false;
            }
        }
        return position > HeaderSize;
    }
}
