using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace FastRaft.FaultCampaign.Hostile;

/// <summary>
/// Copies UDP datagrams seen on this namespace's interfaces (a packet socket, as tcpdump uses)
/// into a bounded ring, so they can be replayed later. Only datagrams to the given ports are kept.
/// Linux and root only; <see cref="TryStart"/> says why when it cannot capture.
/// </summary>
internal sealed class FrameCapture : IDisposable
{
    /// <summary>ETH_P_ALL in network byte order: every protocol.</summary>
    private const int EthPAllNetworkOrder = 0x0300;
    private const int EthernetHeader = 14;
    private const int EtherTypeOffset = 12;
    private const ushort EtherTypeIPv4 = 0x0800;
    private const int IpProtocolOffset = 9;
    private const int IpDestinationOffset = 16;
    private const byte ProtocolUdp = 17;
    private const int UdpHeader = 8;
    private const int UdpDestinationPortOffset = 2;
    private const int Capacity = 4096;

    private readonly Socket _socket;
    private readonly HashSet<int> _ports;
    private readonly (IPEndPoint To, byte[] Payload)[] _ring = new (IPEndPoint, byte[])[Capacity];
    private readonly Thread _thread;
    private volatile bool _stopping;
    private long _captured;

    private FrameCapture(Socket socket, HashSet<int> ports)
    {
        _socket = socket;
        _ports = ports;
        _thread = new Thread(Run) { IsBackground = true, Name = "capture" };
    }

    /// <summary>Datagrams captured so far.</summary>
    public long Captured => Interlocked.Read(ref _captured);

    public static FrameCapture? TryStart(IEnumerable<int> ports, out string reason)
    {
        reason = "";
        if (!OperatingSystem.IsLinux())
        {
            reason = "packet capture needs Linux";
            return null;
        }
        Socket socket;
        try
        {
            socket = new Socket(AddressFamily.Packet, SocketType.Raw, (ProtocolType)EthPAllNetworkOrder);
        }
        catch (SocketException e)
        {
            reason = $"cannot open a packet socket ({e.SocketErrorCode}): replays are left out";
            return null;
        }
        socket.ReceiveTimeout = 200;
        var capture = new FrameCapture(socket, [.. ports]);
        capture._thread.Start();
        return capture;
    }

    /// <summary>A captured datagram chosen by <paramref name="random"/>, or false when none is captured yet.</summary>
    public bool TryPick(Random random, out IPEndPoint to, out byte[] payload)
    {
        long n = Captured;
        if (n == 0)
        {
            to = null!;
            payload = [];
            return false;
        }
        int slot = (int)(random.NextInt64(Math.Min(n, Capacity)) % Capacity);
        lock (_ring)
        {
            (to, payload) = _ring[slot];
        }
        return payload is not null;
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join(TimeSpan.FromSeconds(2));
        _socket.Dispose();
    }

    private void Run()
    {
        byte[] frame = new byte[65_600];
        while (!_stopping)
        {
            int n;
            try
            {
                n = _socket.Receive(frame);
            }
            catch (SocketException)
            {
                continue; // the receive timeout: look at _stopping again
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            Keep(frame.AsSpan(0, n));
        }
    }

    private void Keep(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < EthernetHeader + 20 + UdpHeader
            || BinaryPrimitives.ReadUInt16BigEndian(frame[EtherTypeOffset..]) != EtherTypeIPv4)
        {
            return;
        }
        ReadOnlySpan<byte> ip = frame[EthernetHeader..];
        int ipHeader = (ip[0] & 0x0F) * 4;
        if (ip[IpProtocolOffset] != ProtocolUdp || ipHeader < 20 || ip.Length < ipHeader + UdpHeader)
        {
            return;
        }
        ReadOnlySpan<byte> udp = ip[ipHeader..];
        int port = BinaryPrimitives.ReadUInt16BigEndian(udp[UdpDestinationPortOffset..]);
        if (!_ports.Contains(port))
        {
            return;
        }
        var to = new IPEndPoint(new IPAddress(ip.Slice(IpDestinationOffset, 4)), port);
        byte[] payload = udp[UdpHeader..].ToArray();
        long index = Interlocked.Increment(ref _captured) - 1;
        lock (_ring)
        {
            _ring[index % Capacity] = (to, payload);
        }
    }
}
