using MessagePack;

namespace FastRaft.Sample.Matching;

/// <summary>
/// Integer fields read from untrusted MessagePack without overflow exceptions: a field of the
/// wrong type is reported as false, an out-of-range one is clamped so validation rejects it.
/// (Truncated input still throws from the reader; callers catch that on their cold path.)
/// </summary>
internal static class MessagePackFields
{
    public static bool TryReadInt64(ref MessagePackReader reader, out long value)
    {
        value = 0;
        if (reader.End || reader.NextMessagePackType != MessagePackType.Integer)
        {
            return false;
        }
        if (reader.NextCode == MessagePackCode.UInt64)
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
        if (reader.End || reader.NextMessagePackType != MessagePackType.Integer)
        {
            return false;
        }
        if (reader.NextCode == MessagePackCode.UInt64)
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
        if (reader.End || reader.NextMessagePackType != MessagePackType.Boolean)
        {
            return false;
        }
        value = reader.ReadBoolean();
        return true;
    }

    public static bool TryReadArrayHeader(ref MessagePackReader reader, out int count)
    {
        count = 0;
        if (reader.End || reader.NextMessagePackType != MessagePackType.Array)
        {
            return false;
        }
        count = reader.ReadArrayHeader();
        return true;
    }
}
