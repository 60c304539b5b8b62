using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastRaft.Codec.Framing;

namespace FastRaft.FaultCampaign.Hostile;

/// <summary>
/// Garbage for the nodes' client gateways, which are TCP: a short connection that sends spoiled
/// requests in frames (or raw bytes, or a frame that never completes) and is closed. Connections
/// are opened at a bounded rate (the gateway closes each one after its garbage anyway), so the
/// attack does not turn into a port exhaustion of the attacker's own namespace.
/// </summary>
internal sealed class GatewayGarbage
{
    /// <summary>New connections per second at most.</summary>
    private const int MaxConnectsPerSecond = 40;

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromMilliseconds(200);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _windowStart;
    private int _inWindow;

    /// <summary>Sends one burst of garbage on a new connection to <paramref name="to"/>; false when rate-limited or unreachable.</summary>
    public bool TrySend(Random random, IPEndPoint to, byte[] buffer)
    {
        long second = _clock.ElapsedMilliseconds / 1000;
        if (second != _windowStart)
        {
            _windowStart = second;
            _inWindow = 0;
        }
        if (_inWindow >= MaxConnectsPerSecond)
        {
            return false;
        }
        _inWindow++;
        using var socket = new Socket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { LingerState = new LingerOption(true, 0) };
        try
        {
            using var deadline = new CancellationTokenSource(ConnectTimeout);
            socket.ConnectAsync(to, deadline.Token).AsTask().GetAwaiter().GetResult();
            int length = Payload(random, buffer);
            socket.Send(buffer.AsSpan(0, length));
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>A spoiled request in a frame, raw garbage with no frame, a lying frame header, or a frame cut short.</summary>
    private static int Payload(Random random, byte[] buffer)
    {
        switch (random.Next(4))
        {
            case 0:
                return Garbage.Random(random, buffer, 1_024);
            case 1:
            {
                // A header announcing far more than the gateway takes.
                buffer[0] = FrameFormat.Marker;
                BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(1), (uint)random.Next(1 << 20, int.MaxValue));
                return FrameFormat.HeaderSize + random.Next(16);
            }
            default:
            {
                // A spoiled request in a proper frame; one in three frames is cut short (never completed).
                byte[] request = new byte[4_096];
                int n = Garbage.ClientRequest(random, request);
                buffer[0] = FrameFormat.Marker;
                BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(1), (uint)n);
                request.AsSpan(0, n).CopyTo(buffer.AsSpan(FrameFormat.HeaderSize));
                return FrameFormat.HeaderSize + (random.Next(3) == 0 ? random.Next(n) : n);
            }
        }
    }
}
