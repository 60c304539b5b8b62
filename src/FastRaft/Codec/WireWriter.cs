using System.Buffers.Binary;

namespace FastRaft.Codec;

/// <summary>
/// Writes MessagePack values into a span, always in the shortest format (what
/// <see cref="WireFormat"/>'s sizes count, and what MessagePackWriter writes). Each method
/// returns the bytes written; the caller reserves room for the largest encoding first.
/// </summary>
internal static class WireWriter
{
    public const int MaxUIntSize = 9;
    public const int MaxHeaderSize = 5;

    public static int UInt(Span<byte> s, ulong v)
    {
        if (v <= 0x7F)
        {
            s[0] = (byte)v;
            return 1;
        }
        if (v <= byte.MaxValue)
        {
            s[1] = (byte)v;
            s[0] = 0xCC;
            return 2;
        }
        if (v <= ushort.MaxValue)
        {
            BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)v);
            s[0] = 0xCD;
            return 3;
        }
        if (v <= uint.MaxValue)
        {
            BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)v);
            s[0] = 0xCE;
            return 5;
        }
        BinaryPrimitives.WriteUInt64BigEndian(s[1..], v);
        s[0] = 0xCF;
        return 9;
    }

    public static int Bool(Span<byte> s, bool v)
    {
        s[0] = v ? (byte)0xC3 : (byte)0xC2;
        return 1;
    }

    public static int ArrayHeader(Span<byte> s, int count)
    {
        if (count <= 15)
        {
            s[0] = (byte)(0x90 | count);
            return 1;
        }
        return Header(s, count, 0xDC, 0xDD);
    }

    public static int BinHeader(Span<byte> s, int length)
    {
        if (length <= byte.MaxValue)
        {
            s[1] = (byte)length;
            s[0] = 0xC4;
            return 2;
        }
        return Header(s, length, 0xC5, 0xC6);
    }

    /// <summary>A 16-bit or 32-bit length after its format code.</summary>
    private static int Header(Span<byte> s, int n, byte code16, byte code32)
    {
        if (n <= ushort.MaxValue)
        {
            BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)n);
            s[0] = code16;
            return 3;
        }
        BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)n);
        s[0] = code32;
        return 5;
    }
}
