using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using FastRaft.Protocol;
using FastRaft.Tests.Codec;
using FastRaft.Transport.Udp.Wire;

namespace FastRaft.Tests.Udp;

/// <summary>Builds datagrams by hand (valid or not) and sends them from a socket of its own.</summary>
internal sealed class DatagramForge : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly EndPoint _target;

    public DatagramForge(IPEndPoint target)
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _target = target;
    }

    public void Send(byte[] datagram) => _socket.SendTo(datagram, _target);

    /// <summary>
    /// A datagram with the given header fields around <paramref name="body"/>, sealed as a sender
    /// would: signed when a key is given, with a CRC-32C trailer otherwise.
    /// </summary>
    public static byte[] Build(DatagramKind kind, ulong sequence, ReadOnlySpan<byte> body, byte[]? key,
        ulong cluster = 77, ulong sender = 1, ulong receiver = 2)
    {
        int trailer = key is null ? DatagramChecksum.Size : DatagramAuthenticator.MacSize;
        var d = new byte[DatagramHeader.Size + body.Length + trailer];
        var flags = key is null ? DatagramFlags.Checksummed : DatagramFlags.Authenticated;
        new DatagramHeader(kind, flags, cluster, sender, receiver, sequence).Write(d);
        body.CopyTo(d.AsSpan(DatagramHeader.Size));
        Reseal(d, key);
        return d;
    }

    /// <summary>A datagram with no trailer at all (flags 0), as neither mode sends.</summary>
    public static byte[] BuildBare(DatagramKind kind, ulong sequence, ReadOnlySpan<byte> body, ulong sender = 1)
    {
        var d = new byte[DatagramHeader.Size + body.Length];
        new DatagramHeader(kind, DatagramFlags.None, 77, sender, 2, sequence).Write(d);
        body.CopyTo(d.AsSpan(DatagramHeader.Size));
        return d;
    }

    /// <summary>Recomputes the trailer of a datagram built by <see cref="Build"/> after its content changed.</summary>
    public static void Reseal(byte[] d, byte[]? key)
    {
        if (key is null)
        {
            DatagramChecksum.Append(d, d.Length - DatagramChecksum.Size);
            return;
        }
        int mac = DatagramAuthenticator.MacSize;
        using var auth = new DatagramAuthenticator(key);
        auth.Sign(d.AsSpan(0, d.Length - mac), d.AsSpan(d.Length - mac));
    }

    /// <summary>The body of a chunk datagram: the chunk header, then <paramref name="data"/>.</summary>
    public static byte[] Chunk(in ChunkHeader h, ReadOnlySpan<byte> data)
    {
        var body = new byte[ChunkHeader.Size + data.Length];
        h.Write(body);
        data.CopyTo(body.AsSpan(ChunkHeader.Size));
        return body;
    }

    /// <summary>The body of a batch datagram: a count, then the encoded messages.</summary>
    public static byte[] Batch(params Message[] messages) => BatchWithCount(messages.Length, messages);

    public static byte[] BatchWithCount(int count, params Message[] messages)
    {
        var body = new List<byte>();
        var c = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(c, (ushort)count);
        body.AddRange(c);
        foreach (Message m in messages)
        {
            body.AddRange(CodecFixtures.Encode(m));
        }
        return [.. body];
    }

    public void Dispose() => _socket.Dispose();
}
