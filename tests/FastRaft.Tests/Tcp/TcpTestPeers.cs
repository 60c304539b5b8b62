using System.Net;
using System.Net.Sockets;
using FastRaft.Protocol;
using FastRaft.Tests.Udp;
using FastRaft.Transport.Tcp;

namespace FastRaft.Tests.Tcp;

/// <summary>Helpers for tests that run one or two transports without Raft nodes.</summary>
internal static class TcpTestPeers
{
    public static IPEndPoint FreeLoopback() => new(IPAddress.Loopback, TcpTestCluster.FreePort());

    /// <summary>
    /// Sends heartbeats from <paramref name="from"/> (this thread acting as its node thread) until
    /// <paramref name="sink"/> has received one more message than before; false on timeout.
    /// </summary>
    public static bool GetsMessageThrough(TcpTransport from, ulong to, RecordingSink sink, TimeSpan? timeout = null)
    {
        long before = sink.Count;
        DateTime deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (DateTime.UtcNow < deadline)
        {
            from.Send(new Message(MessageType.Heartbeat, from.LocalId, to, 1));
            from.Flush();
            if (Wait.Until(() => sink.Count > before, TimeSpan.FromMilliseconds(50)))
            {
                return true;
            }
        }
        return false;
    }

    public static async Task<Socket> ConnectAsync(IPEndPoint at)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await s.ConnectAsync(at);
        return s;
    }

    /// <summary>Whether the other side closed <paramref name="socket"/>: a receive returns 0 or fails (bytes before the end are skipped).</summary>
    public static async Task<bool> ClosedByPeerAsync(Socket socket, TimeSpan? timeout = null)
    {
        byte[] buffer = new byte[4096];
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token) > 0)
            {
            }
            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
