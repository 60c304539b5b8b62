using System.Net;
using System.Net.Sockets;

namespace FastRaft.Tests.Sample;

internal static class FreePorts
{
    /// <summary>Ports free for UDP on 127.0.0.1 right now (bound together, then released).</summary>
    public static int[] Udp(int count)
    {
        var sockets = new List<Socket>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                sockets.Add(s);
                s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            }
            return [.. sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port)];
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }
}
