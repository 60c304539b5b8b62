using System.Buffers;
using System.Buffers.Binary;
using MessagePack;

namespace FastRaft.Sample.Matching;

/// <summary>
/// Fields read from untrusted MessagePack, totally: every read checks the field's type and that
/// its header and the length it declares fit in the bytes left, before the reader is asked for
/// it, so no input makes these throw (a wrong, truncated or oversized field is reported as
/// false). Integers out of range are clamped so validation rejects them.
/// </summary>
/// <remarks>
/// The MessagePack reader itself trusts declared lengths: a bin32 or str32 header claiming 2^31
/// bytes or more becomes a negative int inside it and throws ArgumentOutOfRangeException,
/// TryReadArrayHeader returns negative counts, and ReadArrayHeader throws when an enclosing
/// array's count exceeds what is left. So headers are decoded and checked here from the raw
/// bytes, and the reader is asked only for what was checked.
/// </remarks>
internal static class MessagePackFields
{
    public static bool TryReadInt64(ref MessagePackReader reader, out long value)
    {
        value = 0;
        if (!TryPeekCode(ref reader, MessagePackType.Integer, out byte code) || Remaining(ref reader) < IntegerSize(code))
        {
            return false;
        }
        if (code == MessagePackCode.UInt64)
        {
            ulong u = reader.ReadUInt64();
            value = u > long.MaxValue ? long.MaxValue : (long)u;
            return true;
        }
        value = reader.ReadInt64();
        return true;
    }

    public static bool TryReadUInt64(ref MessagePackReader reader, out ulong value)
    {
        value = 0;
        if (!TryPeekCode(ref reader, MessagePackType.Integer, out byte code) || Remaining(ref reader) < IntegerSize(code))
        {
            return false;
        }
        if (code == MessagePackCode.UInt64)
        {
            value = reader.ReadUInt64();
            return true;
        }
        long v = reader.ReadInt64();
        if (v < 0)
        {
            return false;
        }
        value = (ulong)v;
        return true;
    }

    /// <summary>Reads an integer into an int, mapping anything outside <paramref name="min"/>..int.MaxValue to <paramref name="outOfRange"/>.</summary>
    public static bool TryReadInt32(ref MessagePackReader reader, int min, int outOfRange, out int value)
    {
        value = 0;
        if (!TryReadInt64(ref reader, out long v))
        {
            return false;
        }
        value = v < min || v > int.MaxValue ? outOfRange : (int)v;
        return true;
    }

    public static bool TryReadBoolean(ref MessagePackReader reader, out bool value)
    {
        value = false;
        if (!TryPeekCode(ref reader, MessagePackType.Boolean, out _))
        {
            return false;
        }
        value = reader.ReadBoolean();
        return true;
    }

    /// <summary>Reads an array header whose count could be filled by the bytes left (every element takes at least one).</summary>
    public static bool TryReadArrayHeader(ref MessagePackReader reader, out int count)
    {
        count = 0;
        if (!TryPeekCode(ref reader, MessagePackType.Array, out _)
            || !TryReadLengthHeader(ref reader, out int headerSize, out long declared)
            || declared > Remaining(ref reader) - headerSize)
        {
            return false;
        }
        // Not ReadArrayHeader: it also checks the bytes left against the counts of every array
        // still open around this one, and throws when an outer count was a lie.
        return reader.TryReadArrayHeader(out count) && count >= 0;
    }

    /// <summary>Reads a bin field whose bytes are all there (the result is a slice of the reader's sequence).</summary>
    public static bool TryReadBinary(ref MessagePackReader reader, out ReadOnlySequence<byte> bytes)
    {
        bytes = default;
        if (!TryPeekCode(ref reader, MessagePackType.Binary, out _)
            || !TryReadLengthHeader(ref reader, out int headerSize, out long declared)
            || declared > Remaining(ref reader) - headerSize)
        {
            return false;
        }
        ReadOnlySequence<byte>? read = reader.ReadBytes();
        if (read is not ReadOnlySequence<byte> b)
        {
            return false;
        }
        bytes = b;
        return true;
    }

    /// <summary>Reads a str field whose bytes are all there and number at most <paramref name="maxBytes"/> (invalid UTF-8 is replaced, not thrown).</summary>
    public static bool TryReadString(ref MessagePackReader reader, int maxBytes, out string value)
    {
        value = "";
        if (!TryPeekCode(ref reader, MessagePackType.String, out _)
            || !TryReadLengthHeader(ref reader, out int headerSize, out long declared)
            || declared > maxBytes || declared > Remaining(ref reader) - headerSize)
        {
            return false;
        }
        value = reader.ReadString() ?? "";
        return true;
    }

    /// <summary>True (and the reader moves past it) when the next field is nil.</summary>
    public static bool TryReadNil(ref MessagePackReader reader)
    {
        if (reader.End || reader.NextCode != MessagePackCode.Nil)
        {
            return false;
        }
        reader.ReadNil();
        return true;
    }

    private static bool TryPeekCode(ref MessagePackReader reader, MessagePackType type, out byte code)
    {
        code = 0;
        if (reader.End)
        {
            return false;
        }
        code = reader.NextCode;
        return MessagePackCode.ToMessagePackType(code) == type;
    }

    private static long Remaining(ref MessagePackReader reader) => reader.Sequence.Length - reader.Consumed;

    /// <summary>Bytes an integer with first byte <paramref name="code"/> takes, header included.</summary>
    private static int IntegerSize(byte code) => code switch
    {
        MessagePackCode.UInt8 or MessagePackCode.Int8 => 2,
        MessagePackCode.UInt16 or MessagePackCode.Int16 => 3,
        MessagePackCode.UInt32 or MessagePackCode.Int32 => 5,
        MessagePackCode.UInt64 or MessagePackCode.Int64 => 9,
        _ => 1, // positive and negative fixints
    };

    /// <summary>
    /// Decodes the length (or count) header of the array, bin or str field at the reader from the
    /// raw bytes, without trusting the reader to do it; false when the header itself is cut off.
    /// </summary>
    private static bool TryReadLengthHeader(ref MessagePackReader reader, out int headerSize, out long length)
    {
        byte code = reader.NextCode;
        length = 0;
        switch (code)
        {
            case MessagePackCode.Bin8 or MessagePackCode.Str8:
                headerSize = 2;
                break;
            case MessagePackCode.Bin16 or MessagePackCode.Str16 or MessagePackCode.Array16:
                headerSize = 3;
                break;
            case MessagePackCode.Bin32 or MessagePackCode.Str32 or MessagePackCode.Array32:
                headerSize = 5;
                break;
            case >= MessagePackCode.MinFixArray and <= MessagePackCode.MaxFixArray:
                headerSize = 1;
                length = code - MessagePackCode.MinFixArray;
                return true;
            case >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr:
                headerSize = 1;
                length = code - MessagePackCode.MinFixStr;
                return true;
            default:
                headerSize = 1;
                return false;
        }
        if (Remaining(ref reader) < headerSize)
        {
            return false;
        }
        Span<byte> header = stackalloc byte[5];
        reader.Sequence.Slice(reader.Position, headerSize).CopyTo(header);
        length = headerSize switch
        {
            2 => header[1],
            3 => BinaryPrimitives.ReadUInt16BigEndian(header[1..]),
            _ => BinaryPrimitives.ReadUInt32BigEndian(header[1..]),
        };
        return true;
    }
}
