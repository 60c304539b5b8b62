using FastRaft.Hosting.Agents;

namespace FastRaft.Transport.Udp;

public sealed partial class UdpTransport
{
    /// <summary>What the node thread waits on when idle (polled mode); null with a receive thread.</summary>
    private readonly SocketWaitSource? _waitSource;

    /// <summary><see cref="UdpTransportOptions.HousekeepingInterval"/> in timestamp units of the transport's clock.</summary>
    private readonly long _housekeepingInterval;

    /// <summary>When <see cref="Poll"/> next runs housekeeping (polled mode, node thread).</summary>
    private long _nextHousekeeping;

    /// <summary>
    /// What the node thread waits on when a duty cycle found no work (polled mode): the socket's
    /// readiness, or a wake from another thread (<see cref="IWaitSource.Wake"/>: any thread, no
    /// system call while the node thread is busy or a wake is already pending). Its waits end early
    /// when housekeeping is due while a chunked transfer or reassembly is in progress, so resends
    /// and expiries do not wait for the node's next tick. Null with
    /// <see cref="UdpTransportOptions.ReceiveThread"/>.
    /// </summary>
    public IWaitSource? WaitSource => _waitSource;

    /// <summary>
    /// Polled mode (node thread only, after <see cref="Start"/>): reads up to
    /// <see cref="UdpTransportOptions.MaxDatagramsPerPoll"/> datagrams without blocking and handles
    /// each as the receive thread would (checks, replay window, reassembly and acks, counted
    /// drops), handing every accepted batch to the sink on this thread before it returns; then,
    /// when due at <paramref name="now"/>, resends and expires chunked transfers and reassemblies.
    /// Batches come from the transport's pool (<see cref="UdpTransportOptions.BatchPool"/>): a sink
    /// that releases each batch before <see cref="Poll"/> returns lets the next datagram reuse it,
    /// so nothing is allocated per datagram. One-byte wake datagrams are read and counted, not
    /// delivered. Returns the datagrams handled plus the housekeeping done (0: nothing arrived or
    /// was due; a wake alone is not work). With a receive thread it does nothing and returns 0.
    /// Malformed input never throws (it is dropped and counted); an exception thrown by the sink's
    /// <c>Deliver</c> (the node failing to step) is not the transport's to swallow and propagates
    /// to the caller, the batch then being the sink's.
    /// </summary>
    /// <param name="now">A timestamp of the node's clock, the same as <see cref="UdpTransportOptions.Time"/>.</param>
    public int Poll(long now)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_waitSource is null || !_started)
        {
            return 0;
        }
        int work = 0;
        for (int i = _options.MaxDatagramsPerPoll; i > 0; i--)
        {
            Received r = ReceiveOne(now);
            if (r == Received.Nothing)
            {
                break;
            }
            if (r == Received.Datagram)
            {
                work++;
            }
        }
        if (now >= _nextHousekeeping)
        {
            _nextHousekeeping = now + _housekeepingInterval;
            work += Housekeep(now);
        }
        return work;
    }

    /// <summary>
    /// How long the node thread may wait for input: <paramref name="timeout"/>, or less when
    /// housekeeping comes due sooner while something needs it (a transfer, a reassembly, a datagram
    /// the fault injector holds back). Node thread.
    /// </summary>
    internal TimeSpan LimitWait(TimeSpan timeout)
    {
        if (_transfers.Active == 0 && _reassembler.Active == 0 && !_output.HasHeld)
        {
            return timeout;
        }
        TimeProvider time = _options.Time;
        long left = _nextHousekeeping - time.GetTimestamp();
        TimeSpan due = left <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)left / time.TimestampFrequency);
        return timeout == Timeout.InfiniteTimeSpan || due < timeout ? due : timeout;
    }
}
