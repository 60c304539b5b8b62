using System.Net;
using System.Net.Sockets;

namespace FastRaft.Tests.Udp;

/// <summary>
/// A middlebox for tests: a socket that forwards every datagram it receives to one target, after
/// letting a test change it (as a faulty or hostile hop would). Point a sender's peer entry at
/// <see cref="EndPoint"/>; the receiver answers the sender directly.
/// </summary>
internal sealed class DatagramRelay : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _target;
    private readonly Func<byte[], byte[]> _change;
    private readonly Thread _thread;
    private volatile bool _stopping;

    public DatagramRelay(IPEndPoint target, Func<byte[], byte[]> change)
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.ReceiveTimeout = 50;
        _target = target;
        _change = change;
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _thread = new Thread(Run) { IsBackground = true, Name = "test datagram relay" };
        _thread.Start();
    }

    public IPEndPoint EndPoint { get; }

    private void Run()
    {
        var buffer = new byte[65_536];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (!_stopping)
        {
            int n;
            try
            {
                n = _socket.ReceiveFrom(buffer, ref from);
            }
            catch (SocketException)
            {
                continue; // the receive timeout: look at _stopping again
            }
            _socket.SendTo(_change(buffer[..n]), _target);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _socket.Dispose();
    }
}
