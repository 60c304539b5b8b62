using System.Diagnostics.CodeAnalysis;

namespace FastRaft.Protocol;

/// <summary>
/// Protobuf encoding of configuration changes, byte compatible with etcd's raftpb
/// (<c>ConfChange</c>: id=1, type=2, node_id=3, context=4; <c>ConfChangeV2</c>: transition=1,
/// changes=2 as <c>ConfChangeSingle</c>{type=1, node_id=2}, context=3), written in field order.
/// </summary>
/// <remarks>
/// Which fields are written: etcd's current raftpb (proto2 with field presence) writes the fields
/// that were set. Here a v1 change always writes type and node_id, and writes id only when non-zero
/// (an unset id, as in etcd's own test harness); a v2 change always writes transition and every
/// change's type and node_id. A context is written when non-empty (a <see cref="ReadOnlyMemory{T}"/>
/// cannot tell "absent" from "empty"). Decoding accepts any valid encoding, skips unknown fields,
/// and reports malformed input with the same text as gogoproto's generated Unmarshal.
/// </remarks>
public static class ConfChangeCodec
{
    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireBytes = 2;
    private const int WireStartGroup = 3;
    private const int WireEndGroup = 4;
    private const int WireFixed32 = 5;

    private const string ErrUnexpectedEof = "unexpected EOF";
    private const string ErrIntOverflow = "proto: integer overflow";
    private const string ErrInvalidLength = "proto: negative length found during unmarshaling";
    private const string ErrUnexpectedEndOfGroup = "proto: unexpected end of group";

    // ---- encoding ----

    /// <summary>The encoded length of <paramref name="cc"/>.</summary>
    public static int Size(in ConfChange cc)
    {
        int n = 0;
        if (cc.Id != 0)
        {
            n += 1 + WireSize.Varint(cc.Id);
        }
        n += 1 + WireSize.Varint(EnumBits((int)cc.Type));
        n += 1 + WireSize.Varint(cc.NodeId);
        if (!cc.Context.IsEmpty)
        {
            n += 1 + WireSize.Varint((ulong)cc.Context.Length) + cc.Context.Length;
        }
        return n;
    }

    /// <summary>The encoded length of <paramref name="cc"/>.</summary>
    public static int Size(ConfChangeV2 cc)
    {
        ArgumentNullException.ThrowIfNull(cc);
        int n = 1 + WireSize.Varint(EnumBits((int)cc.Transition));
        foreach (ConfChangeSingle c in cc.Changes)
        {
            int l = SingleSize(c);
            n += 1 + WireSize.Varint((ulong)l) + l;
        }
        if (!cc.Context.IsEmpty)
        {
            n += 1 + WireSize.Varint((ulong)cc.Context.Length) + cc.Context.Length;
        }
        return n;
    }

    /// <summary>Encodes a v1 configuration change as etcd's protobuf bytes, the payload of an <see cref="EntryType.ConfChange"/> entry.</summary>
    public static byte[] Encode(ConfChange cc)
    {
        var buf = new byte[Size(cc)];
        EncodeTo(cc, buf);
        return buf;
    }

    /// <summary>Encodes a v2 configuration change as etcd's protobuf bytes, the payload of an <see cref="EntryType.ConfChangeV2"/> entry.</summary>
    public static byte[] Encode(ConfChangeV2 cc)
    {
        var buf = new byte[Size(cc)];
        EncodeTo(cc, buf);
        return buf;
    }

    /// <summary>Writes <paramref name="cc"/> at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    public static int EncodeTo(in ConfChange cc, Span<byte> destination)
    {
        int size = Size(cc);
        if (destination.Length < size)
        {
            ThrowTooSmall(size, destination.Length);
        }
        int pos = 0;
        if (cc.Id != 0)
        {
            destination[pos++] = Tag(1, WireVarint);
            pos = WriteVarint(destination, pos, cc.Id);
        }
        destination[pos++] = Tag(2, WireVarint);
        pos = WriteVarint(destination, pos, EnumBits((int)cc.Type));
        destination[pos++] = Tag(3, WireVarint);
        pos = WriteVarint(destination, pos, cc.NodeId);
        if (!cc.Context.IsEmpty)
        {
            destination[pos++] = Tag(4, WireBytes);
            pos = WriteBytes(destination, pos, cc.Context.Span);
        }
        return pos;
    }

    /// <summary>Writes <paramref name="cc"/> at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    public static int EncodeTo(ConfChangeV2 cc, Span<byte> destination)
    {
        int size = Size(cc);
        if (destination.Length < size)
        {
            ThrowTooSmall(size, destination.Length);
        }
        int pos = 0;
        destination[pos++] = Tag(1, WireVarint);
        pos = WriteVarint(destination, pos, EnumBits((int)cc.Transition));
        foreach (ConfChangeSingle c in cc.Changes)
        {
            destination[pos++] = Tag(2, WireBytes);
            pos = WriteVarint(destination, pos, (ulong)SingleSize(c));
            destination[pos++] = Tag(1, WireVarint);
            pos = WriteVarint(destination, pos, EnumBits((int)c.Type));
            destination[pos++] = Tag(2, WireVarint);
            pos = WriteVarint(destination, pos, c.NodeId);
        }
        if (!cc.Context.IsEmpty)
        {
            destination[pos++] = Tag(3, WireBytes);
            pos = WriteBytes(destination, pos, cc.Context.Span);
        }
        return pos;
    }

    private static int SingleSize(ConfChangeSingle c) =>
        1 + WireSize.Varint(EnumBits((int)c.Type)) + 1 + WireSize.Varint(c.NodeId);

    // Protobuf writes an enum as its int32 value sign-extended to 64 bits.
    private static ulong EnumBits(int value) => (ulong)(long)value;

    private static byte Tag(int field, int wireType) => (byte)((field << 3) | wireType);

    private static int WriteVarint(Span<byte> dst, int pos, ulong v)
    {
        while (v >= 0x80)
        {
            dst[pos++] = (byte)(v | 0x80);
            v >>= 7;
        }
        dst[pos++] = (byte)v;
        return pos;
    }

    private static int WriteBytes(Span<byte> dst, int pos, ReadOnlySpan<byte> data)
    {
        pos = WriteVarint(dst, pos, (ulong)data.Length);
        data.CopyTo(dst[pos..]);
        return pos + data.Length;
    }

    [DoesNotReturn]
    private static void ThrowTooSmall(int needed, int available) =>
        throw new ArgumentException($"destination holds {available} bytes, the encoding needs {needed}", "destination");

    // ---- decoding ----

    /// <summary>
    /// Decodes an etcd <c>raftpb.ConfChange</c>. Empty input is the zero change. False on
    /// malformed input; never throws.
    /// </summary>
    public static bool TryDecodeV1(ReadOnlySpan<byte> data, out ConfChange cc) => TryDecodeV1(data, out cc, out _);

    /// <summary>Decodes an etcd <c>raftpb.ConfChange</c>, throwing <see cref="FormatException"/> with gogoproto's error text on malformed input.</summary>
    public static ConfChange DecodeV1(ReadOnlySpan<byte> data) =>
        TryDecodeV1(data, out ConfChange cc, out string? error) ? cc : throw new FormatException(error);

    /// <summary>As <see cref="TryDecodeV1(ReadOnlySpan{byte}, out ConfChange)"/>, with gogoproto's error text on malformed input.</summary>
    internal static bool TryDecodeV1(ReadOnlySpan<byte> data, out ConfChange cc, out string? error)
    {
        cc = default;
        ulong id = 0, nodeId = 0;
        int type = 0;
        ReadOnlyMemory<byte> context = default;
        var r = new Reader(data);
        while (!r.AtEnd)
        {
            if (!r.TryReadKey("ConfChange", out int field, out int wireType, out error))
            {
                return false;
            }
            switch (field)
            {
                case 1:
                    if (!r.TryReadVarintField(wireType, "ID", out id, out error))
                    {
                        return false;
                    }
                    break;
                case 2:
                    if (!r.TryReadVarintField(wireType, "Type", out ulong t, out error))
                    {
                        return false;
                    }
                    type = unchecked((int)t);
                    break;
                case 3:
                    if (!r.TryReadVarintField(wireType, "NodeID", out nodeId, out error))
                    {
                        return false;
                    }
                    break;
                case 4:
                    if (!r.TryReadBytesField(wireType, "Context", out ReadOnlySpan<byte> ctx, out error))
                    {
                        return false;
                    }
                    context = ctx.ToArray();
                    break;
                default:
                    if (!r.TrySkipField(out error))
                    {
                        return false;
                    }
                    break;
            }
        }
        cc = new ConfChange((ConfChangeType)type, nodeId, context, id);
        error = null;
        return true;
    }

    /// <summary>
    /// Decodes an etcd <c>raftpb.ConfChangeV2</c>. Empty input is the zero change (leave joint).
    /// False on malformed input; never throws.
    /// </summary>
    public static bool TryDecodeV2(ReadOnlySpan<byte> data, [NotNullWhen(true)] out ConfChangeV2? cc) => TryDecodeV2(data, out cc, out _);

    /// <summary>Decodes an etcd <c>raftpb.ConfChangeV2</c>, throwing <see cref="FormatException"/> with gogoproto's error text on malformed input.</summary>
    public static ConfChangeV2 DecodeV2(ReadOnlySpan<byte> data) =>
        TryDecodeV2(data, out ConfChangeV2? cc, out string? error) ? cc : throw new FormatException(error);

    /// <summary>As <see cref="TryDecodeV2(ReadOnlySpan{byte}, out ConfChangeV2?)"/>, with gogoproto's error text on malformed input.</summary>
    internal static bool TryDecodeV2(ReadOnlySpan<byte> data, [NotNullWhen(true)] out ConfChangeV2? cc, out string? error)
    {
        cc = null;
        int transition = 0;
        List<ConfChangeSingle>? changes = null;
        ReadOnlyMemory<byte> context = default;
        var r = new Reader(data);
        while (!r.AtEnd)
        {
            if (!r.TryReadKey("ConfChangeV2", out int field, out int wireType, out error))
            {
                return false;
            }
            switch (field)
            {
                case 1:
                    if (!r.TryReadVarintField(wireType, "Transition", out ulong t, out error))
                    {
                        return false;
                    }
                    transition = unchecked((int)t);
                    break;
                case 2:
                    if (!r.TryReadBytesField(wireType, "Changes", out ReadOnlySpan<byte> msg, out error)
                        || !TryDecodeSingle(msg, out ConfChangeSingle single, out error))
                    {
                        return false;
                    }
                    (changes ??= []).Add(single);
                    break;
                case 3:
                    if (!r.TryReadBytesField(wireType, "Context", out ReadOnlySpan<byte> ctx, out error))
                    {
                        return false;
                    }
                    context = ctx.ToArray();
                    break;
                default:
                    if (!r.TrySkipField(out error))
                    {
                        return false;
                    }
                    break;
            }
        }
        cc = new ConfChangeV2
        {
            Transition = (ConfChangeTransition)transition,
            Changes = changes is null ? [] : [.. changes],
            Context = context,
        };
        error = null;
        return true;
    }

    private static bool TryDecodeSingle(ReadOnlySpan<byte> data, out ConfChangeSingle single, out string? error)
    {
        single = default;
        int type = 0;
        ulong nodeId = 0;
        var r = new Reader(data);
        while (!r.AtEnd)
        {
            if (!r.TryReadKey("ConfChangeSingle", out int field, out int wireType, out error))
            {
                return false;
            }
            switch (field)
            {
                case 1:
                    if (!r.TryReadVarintField(wireType, "Type", out ulong t, out error))
                    {
                        return false;
                    }
                    type = unchecked((int)t);
                    break;
                case 2:
                    if (!r.TryReadVarintField(wireType, "NodeID", out nodeId, out error))
                    {
                        return false;
                    }
                    break;
                default:
                    if (!r.TrySkipField(out error))
                    {
                        return false;
                    }
                    break;
            }
        }
        single = new ConfChangeSingle((ConfChangeType)type, nodeId);
        error = null;
        return true;
    }

    /// <summary>
    /// A cursor over protobuf bytes with gogoproto's acceptance rules: varints of at most ten
    /// bytes (bits past 64 dropped), lengths read as signed 64-bit values, unknown fields skipped
    /// including groups.
    /// </summary>
    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _pos;
        private int _fieldStart;

        public readonly bool AtEnd => _pos >= _data.Length;

        public bool TryReadKey(string message, out int field, out int wireType, out string? error)
        {
            _fieldStart = _pos;
            field = 0;
            wireType = 0;
            if (!TryReadVarint(_data, ref _pos, out ulong key, out error))
            {
                return false;
            }
            field = unchecked((int)(key >> 3));
            wireType = (int)(key & 7);
            if (wireType == WireEndGroup)
            {
                error = $"proto: {message}: wiretype end group for non-group";
                return false;
            }
            if (field <= 0)
            {
                // gogoproto prints the whole key where it says "wire type".
                error = $"proto: {message}: illegal tag {field} (wire type {key})";
                return false;
            }
            return true;
        }

        public bool TryReadVarintField(int wireType, string name, out ulong value, out string? error)
        {
            value = 0;
            if (wireType != WireVarint)
            {
                error = $"proto: wrong wireType = {wireType} for field {name}";
                return false;
            }
            return TryReadVarint(_data, ref _pos, out value, out error);
        }

        public bool TryReadBytesField(int wireType, string name, out ReadOnlySpan<byte> value, out string? error)
        {
            value = default;
            if (wireType != WireBytes)
            {
                error = $"proto: wrong wireType = {wireType} for field {name}";
                return false;
            }
            if (!TryReadVarint(_data, ref _pos, out ulong raw, out error))
            {
                return false;
            }
            long length = unchecked((long)raw);
            long end = unchecked(_pos + length);
            if (length < 0 || end < 0)
            {
                error = ErrInvalidLength;
                return false;
            }
            if (end > _data.Length)
            {
                error = ErrUnexpectedEof;
                return false;
            }
            value = _data[_pos..(int)end];
            _pos = (int)end;
            return true;
        }

        /// <summary>Skips the field whose key was just read (gogoproto's skip rules).</summary>
        public bool TrySkipField(out string? error)
        {
            _pos = _fieldStart;
            if (!TrySkip(_data[_pos..], out long skipped, out error))
            {
                return false;
            }
            long end = unchecked(_pos + skipped);
            if (skipped < 0 || end < 0)
            {
                error = ErrInvalidLength;
                return false;
            }
            if (end > _data.Length)
            {
                error = ErrUnexpectedEof;
                return false;
            }
            _pos = (int)end;
            return true;
        }

        private static bool TrySkip(ReadOnlySpan<byte> d, out long skipped, out string? error)
        {
            skipped = 0;
            long idx = 0;
            int depth = 0;
            while (idx < d.Length)
            {
                int pos = (int)idx;
                if (!TryReadVarint(d, ref pos, out ulong key, out error))
                {
                    return false;
                }
                idx = pos;
                int wireType = (int)(key & 7);
                switch (wireType)
                {
                    case WireVarint:
                        if (!TryReadVarint(d, ref pos, out _, out error))
                        {
                            return false;
                        }
                        idx = pos;
                        break;
                    case WireFixed64:
                        idx += 8;
                        break;
                    case WireBytes:
                        if (!TryReadVarint(d, ref pos, out ulong raw, out error))
                        {
                            return false;
                        }
                        long length = unchecked((long)raw);
                        if (length < 0)
                        {
                            error = ErrInvalidLength;
                            return false;
                        }
                        idx = unchecked(pos + length);
                        break;
                    case WireStartGroup:
                        depth++;
                        break;
                    case WireEndGroup:
                        if (depth == 0)
                        {
                            error = ErrUnexpectedEndOfGroup;
                            return false;
                        }
                        depth--;
                        break;
                    case WireFixed32:
                        idx += 4;
                        break;
                    default:
                        error = $"proto: illegal wireType {wireType}";
                        return false;
                }
                if (idx < 0)
                {
                    error = ErrInvalidLength;
                    return false;
                }
                if (depth == 0)
                {
                    skipped = idx;
                    error = null;
                    return true;
                }
            }
            error = ErrUnexpectedEof;
            return false;
        }

        private static bool TryReadVarint(ReadOnlySpan<byte> d, ref int pos, out ulong value, out string? error)
        {
            value = 0;
            for (int shift = 0; ; shift += 7)
            {
                if (shift >= 64)
                {
                    error = ErrIntOverflow;
                    return false;
                }
                if (pos >= d.Length)
                {
                    error = ErrUnexpectedEof;
                    return false;
                }
                byte b = d[pos++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    error = null;
                    return true;
                }
            }
        }
    }
}
