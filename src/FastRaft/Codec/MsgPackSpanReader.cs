using System.Buffers.Binary;

namespace FastRaft.Codec;

/// <summary>What reading one MessagePack value found.</summary>
internal enum ReadStatus : byte
{
    Ok,

    /// <summary>The input ends inside the value.</summary>
    Truncated,

    /// <summary>The value has a different MessagePack type than the one asked for.</summary>
    WrongFormat,

    /// <summary>An integer was asked for and the value is negative.</summary>
    Negative,
}

/// <summary>
/// Reads the few MessagePack value kinds the Raft wire format uses (unsigned integers, booleans,
/// nil, array headers, binary strings) from a span, reporting malformed input as a
/// <see cref="ReadStatus"/> instead of an exception. MessagePack's own reader throws on bad
/// input; network input must be rejected without the cost of a throw. The position only moves
/// past a value that was read whole.
/// </summary>
internal ref struct MsgPackSpanReader(ReadOnlySpan<byte> span, int position)
{
    private readonly ReadOnlySpan<byte> _span = span;

    public int Position { get; private set; } = position;

    public readonly int Remaining => _span.Length - Position;

    /// <summary>The bytes at [start, start + length) of the input.</summary>
    public readonly ReadOnlySpan<byte> Slice(int start, int length) => _span.Slice(start, length);

    /// <summary>
    /// Reads a non-negative integer in any MessagePack integer format (a writer may pick a signed
    /// format for a non-negative value; the spec allows it).
    /// </summary>
    public ReadStatus ReadUInt64(out ulong value)
    {
        value = 0;
        if (Remaining < 1)
        {
            return ReadStatus.Truncated;
        }
        byte code = _span[Position];
        if (code <= 0x7F)
        {
            value = code;
            Position++;
            return ReadStatus.Ok;
        }
        if (code >= 0xE0)
        {
            return ReadStatus.Negative;
        }
        int width;
        bool signed;
        switch (code)
        {
            case 0xCC: width = 1; signed = false; break;
            case 0xCD: width = 2; signed = false; break;
            case 0xCE: width = 4; signed = false; break;
            case 0xCF: width = 8; signed = false; break;
            case 0xD0: width = 1; signed = true; break;
            case 0xD1: width = 2; signed = true; break;
            case 0xD2: width = 4; signed = true; break;
            case 0xD3: width = 8; signed = true; break;
            default: return ReadStatus.WrongFormat;
        }
        if (Remaining < 1 + width)
        {
            return ReadStatus.Truncated;
        }
        ReadOnlySpan<byte> body = _span.Slice(Position + 1, width);
        ulong raw = width switch
        {
            1 => body[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(body),
            4 => BinaryPrimitives.ReadUInt32BigEndian(body),
            _ => BinaryPrimitives.ReadUInt64BigEndian(body),
        };
        // A signed value is negative when the top bit of its width is set.
        if (signed && (raw >> (width * 8 - 1)) != 0)
        {
            return ReadStatus.Negative;
        }
        value = raw;
        Position += 1 + width;
        return ReadStatus.Ok;
    }

    public ReadStatus ReadBoolean(out bool value)
    {
        value = false;
        if (Remaining < 1)
        {
            return ReadStatus.Truncated;
        }
        switch (_span[Position])
        {
            case 0xC2: break;
            case 0xC3: value = true; break;
            default: return ReadStatus.WrongFormat;
        }
        Position++;
        return ReadStatus.Ok;
    }

    /// <summary>Consumes a nil if one is next; false (and nothing consumed) otherwise.</summary>
    public bool TryReadNil()
    {
        if (Remaining >= 1 && _span[Position] == 0xC0)
        {
            Position++;
            return true;
        }
        return false;
    }

    public ReadStatus ReadArrayHeader(out uint count)
    {
        count = 0;
        if (Remaining < 1)
        {
            return ReadStatus.Truncated;
        }
        byte code = _span[Position];
        if (code is >= 0x90 and <= 0x9F)
        {
            count = (uint)(code & 0x0F);
            Position++;
            return ReadStatus.Ok;
        }
        return code switch
        {
            0xDC => ReadLength(2, out count),
            0xDD => ReadLength(4, out count),
            _ => ReadStatus.WrongFormat,
        };
    }

    /// <summary>
    /// Reads a binary string and returns where its bytes sit (<paramref name="start"/>,
    /// <paramref name="length"/>) without copying them.
    /// </summary>
    public ReadStatus ReadBinary(out int start, out int length)
    {
        start = 0;
        length = 0;
        if (Remaining < 1)
        {
            return ReadStatus.Truncated;
        }
        int before = Position;
        int width = _span[Position] switch
        {
            0xC4 => 1,
            0xC5 => 2,
            0xC6 => 4,
            _ => 0,
        };
        if (width == 0)
        {
            return ReadStatus.WrongFormat;
        }
        ReadStatus s = ReadLength(width, out uint n);
        if (s != ReadStatus.Ok)
        {
            return s;
        }
        if (n > (uint)Remaining)
        {
            Position = before;
            return ReadStatus.Truncated;
        }
        start = Position;
        length = (int)n;
        Position += length;
        return ReadStatus.Ok;
    }

    /// <summary>Reads the big-endian length that follows a one-byte format code.</summary>
    private ReadStatus ReadLength(int width, out uint length)
    {
        length = 0;
        if (Remaining < 1 + width)
        {
            return ReadStatus.Truncated;
        }
        ReadOnlySpan<byte> body = _span.Slice(Position + 1, width);
        length = width switch
        {
            1 => body[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(body),
            _ => BinaryPrimitives.ReadUInt32BigEndian(body),
        };
        Position += 1 + width;
        return ReadStatus.Ok;
    }
}
