using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastRaft.Tests.Udp;
using FastRaft.Transport.Tcp;

namespace FastRaft.Tests.Tcp;

/// <summary>
/// Disposing a polled-mode transport from another thread while its node thread polls: the
/// dispose never fails on the connections the poll is running (it once threw "collection was
/// modified" in a full test run), and every accepted connection is closed either way.
/// </summary>
public class TcpDisposeTests
{
    [Fact]
    public async Task Disposing_while_another_thread_polls_closes_every_accepted_connection_without_failing()
    {
        for (int round = 0; round < 40; round++)
        {
            var t = new TcpTransport(new TcpTransportOptions
            {
                LocalId = 1,
                ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
                Peers = new Dictionary<ulong, IPEndPoint> { [2] = new IPEndPoint(IPAddress.Loopback, 9) },
                ClusterKey = RandomNumberGenerator.GetBytes(32),
                HandshakeTimeout = TimeSpan.FromSeconds(30),
            });
            t.Start(new RecordingSink());
            using var polling = new CancellationTokenSource();
            Exception? pollFailure = null;
            var poller = new Thread(() =>
            {
                // A node thread that keeps polling (never waiting) until told to stop.
                while (!polling.IsCancellationRequested)
                {
                    try
                    {
                        t.Poll(TimeProvider.System.GetTimestamp());
                    }
                    catch (Exception ex)
                    {
                        pollFailure = ex;
                        return;
                    }
                }
            })
            { IsBackground = true };
            poller.Start();

            var sockets = new List<Socket>();
            for (int i = 0; i < 3; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await s.ConnectAsync(t.LocalEndPoint!);
                sockets.Add(s);
            }
            await Task.Delay(round % 4);

            t.Dispose();
            polling.Cancel();
            poller.Join();
            Assert.Null(pollFailure);
            byte[] buffer = new byte[16];
            foreach (Socket s in sockets)
            {
                // Closed by the transport: the dialer reads the end of the stream (or a reset).
                try
                {
                    Assert.Equal(0, await s.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10)));
                }
                catch (SocketException)
                {
                }
                s.Dispose();
            }
        }
    }
}
