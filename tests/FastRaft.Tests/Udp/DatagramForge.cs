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

    /// <summary>A datagram with the given header fields around <paramref name="body"/>, signed when a key is given.</summary>
    public static byte[] Build(DatagramKind kind, ulong sequence, ReadOnlySpan<byte> body, byte[]? key,
        ulong cluster = 77, ulong sender = 1, ulong receiver = 2)
    {
        int mac = key is null ? 0 : DatagramAuthenticator.MacSize;
        var d = new byte[DatagramHeader.Size + body.Length + mac];
        var flags = key is null ? DatagramFlags.None : DatagramFlags.Authenticated;
        new DatagramHeader(kind, flags, cluster, sender, receiver, sequence).Write(d);
        body.CopyTo(d.AsSpan(DatagramHeader.Size));
        if (key is not null)
        {
            using var auth = new DatagramAuthenticator(key);
            auth.Sign(d.AsSpan(0, d.Length - mac), d.AsSpan(d.Length - mac));
        }
        return d;
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
