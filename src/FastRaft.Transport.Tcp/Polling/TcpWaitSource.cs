using System.Net;
using System.Net.Sockets;
using FastRaft.Hosting.Agents;

namespace FastRaft.Transport.Tcp.Polling;

/// <summary>
/// What the node thread of a polled <see cref="TcpTransport"/> waits on when idle: one poll() over
/// its inbound connections' sockets and a small loopback UDP socket that other threads wake it
/// through (a one-byte datagram). The same two-flag protocol as the UDP transport's wait source
/// keeps a wake cheap and never lost: the waiter announces it is waiting, then blocks only if no
/// wake is pending; a waker marks a wake pending, then sends the datagram only if the waiter is
/// (about to be) blocked. Waiting allocates nothing: the socket list is reused.
/// </summary>
internal sealed class TcpWaitSource : IWaitSource, IDisposable
{
    private readonly Socket _wakeReceiver;
    private readonly Socket _waker;
    private readonly SocketAddress _wakeAddress;
    private readonly byte[] _wakeByte = new byte[1];
    private readonly byte[] _drain = new byte[64];
    private readonly List<Socket> _readable = [];
    private readonly List<Socket> _watched = [];
    private int _waiting;
    private int _woken;
    private volatile bool _closed;

    public TcpWaitSource()
    {
        _wakeReceiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { Blocking = false };
        _wakeReceiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _wakeAddress = _wakeReceiver.LocalEndPoint!.Serialize();
        _waker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        // Only our own waker may end a wait: datagrams from anywhere else are read and ignored too,
        // but connecting the receiver makes the kernel drop them before they reach us.
        _waker.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _wakeReceiver.Connect(_waker.LocalEndPoint!);
    }

    /// <summary>Wakes sent as datagrams (the node thread was blocked).</summary>
    public long WakesSent;

    /// <summary>The sockets a wait watches besides the wake socket (node thread: set before each wait).</summary>
    public List<Socket> Watched => _watched;

    public void Wait(TimeSpan timeout)
    {
        int micros = PollTimeout.ToMicros(timeout);
        Interlocked.Exchange(ref _waiting, 1);
        if (micros != 0 && Volatile.Read(ref _woken) == 0)
        {
            _readable.Clear();
            _readable.Add(_wakeReceiver);
            for (int i = 0; i < _watched.Count; i++)
            {
                _readable.Add(_watched[i]);
            }
            try
            {
                Socket.Select(_readable, null, null, micros);
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                // A connection closed under the waiter: the next cycle finds out which.
            }
        }
        Volatile.Write(ref _waiting, 0);
        Interlocked.Exchange(ref _woken, 0);
        DrainWakes();
    }

    public void Wake()
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _woken) != 0 || Interlocked.CompareExchange(ref _woken, 1, 0) != 0)
        {
            return;
        }
        if (Volatile.Read(ref _waiting) != 0 && !_closed)
        {
            try
            {
                _waker.SendTo(_wakeByte, SocketFlags.None, _wakeAddress);
                Interlocked.Increment(ref WakesSent);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // No room for one byte, or closing: the waiter ends at its timeout.
            }
        }
    }

    private void DrainWakes()
    {
        try
        {
            while (_wakeReceiver.Available > 0)
            {
                _wakeReceiver.Receive(_drain, SocketFlags.None, out SocketError error);
                if (error != SocketError.Success)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
        }
    }

    public void Dispose()
    {
        _closed = true;
        _waker.Dispose();
        _wakeReceiver.Dispose();
    }
}
