using System.Buffers;
using System.Buffers.Binary;
using FastRaft.Sample.Protocol;

namespace FastRaft.FaultCampaign.Hostile;

/// <summary>Datagram contents with no right to be believed: random bytes, mutations of real datagrams, malformed client requests.</summary>
internal static class Garbage
{
    /// <summary>MessagePack headers that announce far more than follows (bin32, str32, array32, map32, ext32 with lengths of 2^31 and more).</summary>
    private static readonly byte[][] HugeLengthHeaders =
    [
        [0xc6, 0x80, 0x00, 0x00, 0x00],
        [0xc6, 0xff, 0xff, 0xff, 0xff],
        [0xdb, 0xff, 0xff, 0xff, 0xf0],
        [0xdd, 0x7f, 0xff, 0xff, 0xff],
        [0xdf, 0xff, 0xff, 0xff, 0xff],
        [0xc9, 0x80, 0x00, 0x00, 0x01, 0x05],
    ];

    /// <summary>Fills a random length (up to <paramref name="max"/>) of <paramref name="buffer"/> with random bytes.</summary>
    public static int Random(Random random, byte[] buffer, int max)
    {
        int n = random.Next(0, Math.Min(max, buffer.Length) + 1);
        random.NextBytes(buffer.AsSpan(0, n));
        return n;
    }

    /// <summary>
    /// <paramref name="original"/> changed a little: bits flipped, cut short, extended with junk, or
    /// a header field overwritten with an extreme value. Returns the length written to <paramref name="buffer"/>.
    /// </summary>
    public static int Mutate(Random random, ReadOnlySpan<byte> original, byte[] buffer)
    {
        int n = Math.Min(original.Length, buffer.Length);
        original[..n].CopyTo(buffer);
        if (n == 0)
        {
            return 0;
        }
        switch (random.Next(4))
        {
            case 0:
                for (int flips = random.Next(1, 4); flips > 0; flips--)
                {
                    buffer[random.Next(n)] ^= (byte)(1 << random.Next(8));
                }
                return n;
            case 1:
                return random.Next(n);
            case 2:
                int extra = Math.Min(random.Next(1, 64), buffer.Length - n);
                random.NextBytes(buffer.AsSpan(n, extra));
                return n + extra;
            default:
                // An extreme 64-bit value over any aligned field: sequence numbers, ids, lengths.
                int at = random.Next(Math.Max(1, n - 8));
                if (at + 8 <= n)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(at), random.Next(2) == 0 ? ulong.MaxValue : 1UL << 63);
                }
                return n;
        }
    }

    /// <summary>A request for a node's client port: a valid one, then (mostly) spoiled.</summary>
    public static int ClientRequest(Random random, byte[] buffer)
    {
        if (random.Next(4) == 0)
        {
            byte[] header = HugeLengthHeaders[random.Next(HugeLengthHeaders.Length)];
            // A little prefix (a version and kind, as real requests start) before the lying header.
            int p = 0;
            buffer[p++] = 0x94;
            buffer[p++] = ClientProtocol.Version;
            buffer[p++] = (byte)random.Next(1, 3);
            buffer[p++] = (byte)random.Next(128);
            header.CopyTo(buffer.AsSpan(p));
            return p + header.Length + random.Next(0, 4);
        }
        var writer = new ArrayBufferWriter<byte>(256);
        Span<byte> command = stackalloc byte[random.Next(1, 96)];
        random.NextBytes(command);
        if (random.Next(2) == 0)
        {
            ClientProtocol.WriteSubmit(writer, (ulong)random.NextInt64(), command);
        }
        else
        {
            ulong[] ids = [(ulong)random.NextInt64(), (ulong)random.NextInt64()];
            ClientProtocol.WriteQuery(writer, (ulong)random.NextInt64(), ids);
        }
        return random.Next(3) == 0 ? Copy(writer.WrittenSpan, buffer) : Mutate(random, writer.WrittenSpan, buffer);
    }

    private static int Copy(ReadOnlySpan<byte> from, byte[] to)
    {
        from.CopyTo(to);
        return from.Length;
    }
}
