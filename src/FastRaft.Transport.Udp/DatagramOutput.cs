using System.Net.Sockets;

namespace FastRaft.Transport.Udp;

/// <summary>
/// Hands finished datagrams to the socket (from the node thread and the receive thread alike:
/// a UDP send is one atomic system call) and counts them. A failed send is counted and reported
/// to the node as the peer being unreachable; in the polled mode the socket does not block, so a
/// send buffer that is full fails the send the same way (the datagram is lost, as the network
/// would lose it, and the node backs off the peer as etcd does when its send queue is full).
/// </summary>
internal sealed class DatagramOutput(Socket socket, UdpTransportCounters counters, FaultInjector? faults)
{
    private volatile Hosting.ITransportSink? _sink;
    private volatile bool _closed;

    public Hosting.ITransportSink? Sink
    {
        get => _sink;
        set => _sink = value;
    }

    /// <summary>Set before the socket closes: sends after it are dropped quietly.</summary>
    public void Close() => _closed = true;

    public void Send(Peer peer, ReadOnlySpan<byte> datagram)
    {
        if (faults is null)
        {
            SendNow(peer, datagram);
        }
        else
        {
            faults.Send(this, peer, datagram);
        }
    }

    /// <summary>Sends a datagram the fault injector let through (or that nothing intercepts).</summary>
    internal void SendNow(Peer peer, ReadOnlySpan<byte> datagram)
    {
        if (_closed)
        {
            return;
        }
        try
        {
            socket.SendTo(datagram, SocketFlags.None, peer.Address);
            UdpTransportCounters.Increment(ref counters._datagramsSent);
            UdpTransportCounters.Add(ref counters._bytesSent, datagram.Length);
        }
        catch (SocketException)
        {
            OnSendError(peer);
        }
        catch (ObjectDisposedException) when (_closed)
        {
        }
    }

    /// <summary>Sends a datagram the fault injector held back, if any (housekeeping); returns whether there was one.</summary>
    public bool ReleaseHeld() => faults is not null && faults.ReleaseHeld(this);

    /// <summary>Whether the fault injector holds a datagram back (that housekeeping will send).</summary>
    public bool HasHeld => faults is not null && faults.HasHeld;

    private void OnSendError(Peer peer)
    {
        UdpTransportCounters.Increment(ref counters._sendErrors);
        _sink?.ReportUnreachable(peer.Id);
    }
}
