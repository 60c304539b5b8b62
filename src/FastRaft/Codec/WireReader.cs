using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace FastRaft.Codec;

/// <summary>
/// Reads the few MessagePack value kinds the wire format uses (unsigned integers, booleans, nil,
/// array headers, binary strings) from a span. A read that fails records which field failed and
/// why (<see cref="Error"/>) and returns false: MessagePack's own reader throws on bad input, and
/// network input must be rejected without the cost of a throw. Each read has a small inlined
/// fast path for the shortest encodings and an out-of-line path for the rest; the position only
/// moves past a value that was read whole.
/// </summary>
internal ref struct WireReader(ReadOnlySpan<byte> span, int position)
{
    private readonly ReadOnlySpan<byte> _span = span;
    private int _pos = position;

    public readonly int Position => _pos;

    public readonly int Remaining => _span.Length - _pos;

    /// <summary>The first failure, if a read returned false.</summary>
    public WireError Error { readonly get; private set; }

    /// <summary>The bytes at [start, start + length) of the input.</summary>
    public readonly ReadOnlySpan<byte> Slice(int start, int length) => _span.Slice(start, length);

    /// <summary>Records a failure of <paramref name="field"/>; returns false for the caller to pass on.</summary>
    public bool Fail(WireField field, WireProblem problem)
    {
        Error = new WireError(field, problem);
        return false;
    }

    /// <summary>
    /// Reads a non-negative integer in any MessagePack integer format (a writer may pick a signed
    /// format for a non-negative value; the spec allows it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool UInt(WireField field, out ulong value)
    {
        if ((uint)_pos < (uint)_span.Length && _span[_pos] <= 0x7F)
        {
            value = _span[_pos++];
            return true;
        }
        return UIntSlow(field, out value);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool UIntSlow(WireField field, out ulong value)
    {
        value = 0;
        if (Remaining < 1)
        {
            return Fail(field, WireProblem.Truncated);
        }
        byte code = _span[_pos];
        if (code >= 0xE0)
        {
            return Fail(field, WireProblem.Negative);
        }
        (int width, bool signed) = code switch
        {
            0xCC => (1, false),
            0xCD => (2, false),
            0xCE => (4, false),
            0xCF => (8, false),
            0xD0 => (1, true),
            0xD1 => (2, true),
            0xD2 => (4, true),
            0xD3 => (8, true),
            _ => (0, false),
        };
        if (width == 0)
        {
            return Fail(field, WireProblem.WrongFormat);
        }
        if (Remaining < 1 + width)
        {
            return Fail(field, WireProblem.Truncated);
        }
        ulong raw = BigEndian(_span.Slice(_pos + 1, width));
        // A signed value is negative when the top bit of its width is set.
        if (signed && (raw >> (width * 8 - 1)) != 0)
        {
            return Fail(field, WireProblem.Negative);
        }
        value = raw;
        _pos += 1 + width;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Bool(WireField field, out bool value)
    {
        if ((uint)_pos < (uint)_span.Length && (_span[_pos] | 1) == 0xC3)
        {
            value = _span[_pos++] == 0xC3;
            return true;
        }
        value = false;
        return Fail(field, Remaining < 1 ? WireProblem.Truncated : WireProblem.WrongFormat);
    }

    /// <summary>Consumes a nil if one is next; false (and nothing consumed, nothing recorded) otherwise.</summary>
    public bool TryNil()
    {
        if ((uint)_pos < (uint)_span.Length && _span[_pos] == 0xC0)
        {
            _pos++;
            return true;
        }
        return false;
    }

    /// <summary>Reads an array header that must announce exactly <paramref name="arity"/> elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Arity(WireField field, int arity)
    {
        // Every fixed arity of the format fits a fixarray (0x90 | n).
        if ((uint)_pos < (uint)_span.Length && _span[_pos] == (0x90 | arity))
        {
            _pos++;
            return true;
        }
        return ArraySlow(field, out uint n) && (n == (uint)arity || Fail(field, WireProblem.WrongLength));
    }

    /// <summary>Reads an array header of any length (the caller checks it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool ArrayHeader(WireField field, out uint count)
    {
        if ((uint)_pos < (uint)_span.Length && (_span[_pos] & 0xF0) == 0x90)
        {
            count = (uint)(_span[_pos++] & 0x0F);
            return true;
        }
        return ArraySlow(field, out count);
    }

    /// <summary>
    /// Reads an array header whose elements take at least <paramref name="minElementSize"/> bytes
    /// each, and rejects a count the rest of the input cannot hold, so a forged count never makes
    /// the decoder reserve memory the input does not pay for.
    /// </summary>
    public bool Count(WireField field, int minElementSize, out int count)
    {
        count = 0;
        uint n;
        if ((uint)_pos < (uint)_span.Length && (_span[_pos] & 0xF0) == 0x90)
        {
            n = (uint)(_span[_pos++] & 0x0F);
        }
        else if (!ArraySlow(field, out n))
        {
            return false;
        }
        if ((ulong)n * (ulong)minElementSize > (ulong)Remaining)
        {
            return Fail(field, WireProblem.CountExceedsInput);
        }
        count = (int)n;
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool ArraySlow(WireField field, out uint count)
    {
        count = 0;
        if (Remaining < 1)
        {
            return Fail(field, WireProblem.Truncated);
        }
        byte code = _span[_pos];
        if ((code & 0xF0) == 0x90)
        {
            count = (uint)(code & 0x0F);
            _pos++;
            return true;
        }
        return code switch
        {
            0xDC => Length(field, 2, out count),
            0xDD => Length(field, 4, out count),
            _ => Fail(field, WireProblem.WrongFormat),
        };
    }

    /// <summary>
    /// Reads a binary string and returns where its bytes sit (<paramref name="start"/>,
    /// <paramref name="length"/>) without copying them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Binary(WireField field, out int start, out int length)
    {
        // A bin8 that fits: small payloads and empty contexts.
        if (Remaining >= 2 && _span[_pos] == 0xC4 && _span[_pos + 1] <= Remaining - 2)
        {
            start = _pos + 2;
            length = _span[_pos + 1];
            _pos = start + length;
            return true;
        }
        return BinarySlow(field, out start, out length);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool BinarySlow(WireField field, out int start, out int length)
    {
        start = 0;
        length = 0;
        if (Remaining < 1)
        {
            return Fail(field, WireProblem.Truncated);
        }
        int width = _span[_pos] switch
        {
            0xC4 => 1,
            0xC5 => 2,
            0xC6 => 4,
            _ => 0,
        };
        if (width == 0)
        {
            return Fail(field, WireProblem.WrongFormat);
        }
        int before = _pos;
        if (!Length(field, width, out uint n))
        {
            return false;
        }
        if (n > (uint)Remaining)
        {
            _pos = before;
            return Fail(field, WireProblem.Truncated);
        }
        start = _pos;
        length = (int)n;
        _pos += length;
        return true;
    }

    /// <summary>Reads the big-endian length that follows a one-byte format code.</summary>
    private bool Length(WireField field, int width, out uint length)
    {
        length = 0;
        if (Remaining < 1 + width)
        {
            return Fail(field, WireProblem.Truncated);
        }
        length = (uint)BigEndian(_span.Slice(_pos + 1, width));
        _pos += 1 + width;
        return true;
    }

    private static ulong BigEndian(ReadOnlySpan<byte> body) => body.Length switch
    {
        1 => body[0],
        2 => BinaryPrimitives.ReadUInt16BigEndian(body),
        4 => BinaryPrimitives.ReadUInt32BigEndian(body),
        _ => BinaryPrimitives.ReadUInt64BigEndian(body),
    };
}
