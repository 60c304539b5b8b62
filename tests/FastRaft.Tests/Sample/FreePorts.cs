using System.Net;
using System.Net.Sockets;

namespace FastRaft.Tests.Sample;

internal static class FreePorts
{
    /// <summary>
    /// Ports free on 127.0.0.1 for both UDP and TCP right now (bound together, then released): a
    /// sample node's Raft port is UDP or TCP, its client gateway TCP, and busy TCP tests take
    /// ephemeral ports that UDP alone would not show.
    /// </summary>
    public static int[] ForNodes(int count)
    {
        var sockets = new List<Socket>();
        var ports = new List<int>();
        try
        {
            while (ports.Count < count)
            {
                var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(tcp);
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                int port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
                var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                sockets.Add(udp);
                try
                {
                    udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                    ports.Add(port);
                }
                catch (SocketException)
                {
                    // Taken for UDP: keep the TCP socket bound (so it is not offered again) and try another.
                }
            }
            return [.. ports];
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }
}
