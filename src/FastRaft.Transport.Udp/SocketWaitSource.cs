using System.Net;
using System.Net.Sockets;
using FastRaft.Hosting.Agents;

namespace FastRaft.Transport.Udp;

/// <summary>
/// What the node thread of a polled <see cref="UdpTransport"/> waits on when idle: one poll() of
/// the transport's socket, which ends when a datagram arrives, and a wake from another thread is a
/// one-byte datagram that a small unbound socket sends to the transport's own port.
/// <para>
/// Two flags make a wake cheap and never lost. The waiter sets <c>waiting</c>, then looks at
/// <c>woken</c> and blocks only if no wake is pending; a waker sets <c>woken</c>, then looks at
/// <c>waiting</c> and sends the datagram only if the waiter is (about to be) blocked. Both sides
/// fence between their write and their read, so at least one of them sees the other: either the
/// waiter does not block, or the datagram is sent. A waker that finds a wake already pending, or
/// the node thread busy, makes no system call. A stray wake datagram (both saw each other) is
/// read and counted by the next <see cref="UdpTransport.Poll"/>: it costs one spurious wake.
/// </para>
/// <para>
/// Anyone who can reach the port can send one-byte datagrams too: they are indistinguishable from
/// wakes and can cause nothing but an early end of an idle wait (the node then finds no work and
/// waits again), like any other unwanted datagram.
/// </para>
/// </summary>
internal sealed class SocketWaitSource : IWaitSource, IDisposable
{
    /// <summary>A wake datagram's length: one byte, shorter than any FastRaft datagram (its header alone is 40).</summary>
    public const int WakeLength = 1;

    private readonly UdpTransport _transport;
    private readonly Socket _socket;
    private readonly Socket _waker;
    private readonly SocketAddress _self;
    private readonly byte[] _wake = new byte[WakeLength];
    private readonly UdpTransportCounters _counters;

    /// <summary>1 while the node thread is in <see cref="Wait"/> (set before it decides to block).</summary>
    private int _waiting;

    /// <summary>1 when a <see cref="Wake"/> came since the last <see cref="Wait"/> returned.</summary>
    private int _woken;

    private volatile bool _closed;

    /// <summary>Whether the node thread is in <see cref="Wait"/> (tests: to wake it once it is blocked).</summary>
    internal bool IsWaiting => Volatile.Read(ref _waiting) != 0;

    public SocketWaitSource(UdpTransport transport, Socket socket, IPEndPoint localEndPoint, UdpTransportCounters counters)
    {
        _transport = transport;
        _socket = socket;
        _counters = counters;
        _self = SelfAddress(localEndPoint).Serialize();
        _waker = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
    }

    /// <summary>
    /// Blocks in one poll() of the socket until a datagram (a wake among them) is waiting, a wake
    /// is pending, or <paramref name="timeout"/> passes; never longer than until the transport's
    /// housekeeping is due while a chunked transfer or reassembly needs it. Node thread only.
    /// </summary>
    public void Wait(TimeSpan timeout)
    {
        int micros = PollTimeout.ToMicros(_transport.LimitWait(timeout));
        // A full fence: the flag is visible before woken is read (see the class comment).
        Interlocked.Exchange(ref _waiting, 1);
        if (micros != 0 && Volatile.Read(ref _woken) == 0)
        {
            try
            {
                _socket.Poll(micros, SelectMode.SelectRead);
            }
            catch (ObjectDisposedException)
            {
                // Disposed under the waiter: there is nothing left to wait for.
            }
            catch (SocketException)
            {
                // poll() failed: return; the caller's next cycle finds out what there is.
            }
        }
        Volatile.Write(ref _waiting, 0);
        // Consumes the wake. A full fence, so the work queued before the wake is seen by the duty
        // cycle that follows, even when its waker took the early return below.
        Interlocked.Exchange(ref _woken, 0);
    }

    /// <summary>Makes the current or next <see cref="Wait"/> return. Any thread; no system call unless the node thread waits.</summary>
    public void Wake()
    {
        // Orders the caller's queued work before the read of woken (pairs with the exchange in Wait).
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _woken) != 0 || Interlocked.CompareExchange(ref _woken, 1, 0) != 0)
        {
            return; // a wake is pending: the current or next Wait returns anyway
        }
        if (Volatile.Read(ref _waiting) != 0)
        {
            SendWake();
        }
    }

    public void Dispose()
    {
        _closed = true;
        _waker.Dispose();
    }

    private void SendWake()
    {
        if (_closed)
        {
            return;
        }
        try
        {
            _waker.SendTo(_wake, SocketFlags.None, _self);
            UdpTransportCounters.Increment(ref _counters._wakeDatagramsSent);
        }
        catch (SocketException)
        {
            // No buffer space for one byte: the waiter ends at its timeout (the node's next tick).
        }
        catch (ObjectDisposedException)
        {
            // The transport closed meanwhile: nobody waits any more.
        }
    }

    /// <summary>Where the transport's own socket is reached from this host (a wildcard bind is reached on loopback).</summary>
    private static IPEndPoint SelfAddress(IPEndPoint local)
    {
        IPAddress address = local.Address;
        if (address.Equals(IPAddress.Any))
        {
            address = IPAddress.Loopback;
        }
        else if (address.Equals(IPAddress.IPv6Any))
        {
            address = IPAddress.IPv6Loopback;
        }
        return new IPEndPoint(address, local.Port);
    }
}
