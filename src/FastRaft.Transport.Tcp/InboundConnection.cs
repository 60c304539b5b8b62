using FastRaft.Transport.Tcp.Security;

namespace FastRaft.Transport.Tcp;

/// <summary>
/// What the deadline check needs of one accepted connection after its handshake: when its
/// current partial frame began and when it last received anything (both written by its
/// receive task, read by the transport's deadline timer), and a token that closes it.
/// </summary>
internal sealed class InboundConnection(SecuredConnection connection, CancellationToken stopping, TimeProvider time) : IDisposable
{
    private readonly CancellationTokenSource _closing = CancellationTokenSource.CreateLinkedTokenSource(stopping);
    private long _partialFrameSince;
    private long _lastReceived = time.GetTimestamp();
    private int _closedFor;

    public SecuredConnection Connection { get; } = connection;

    /// <summary>Cancelled when the transport stops or a deadline closes the connection.</summary>
    public CancellationToken Token => _closing.Token;

    /// <summary>A snapshot transfer is being received on the connection (receive task): it must keep making progress.</summary>
    public bool TransferInProgress { get; set; }

    /// <summary>Why a deadline closed the connection (None while open).</summary>
    public TcpRefusalReason ClosedFor => (TcpRefusalReason)Volatile.Read(ref _closedFor);

    /// <summary>
    /// After each read (receive task): <paramref name="framesRead"/> whether whole frames came,
    /// <paramref name="partialFrame"/> whether a frame's beginning waits for its rest. A partial
    /// frame's clock starts when its first bytes come, not at each trickle of more.
    /// </summary>
    public void OnRead(bool framesRead, bool partialFrame)
    {
        long now = time.GetTimestamp();
        Volatile.Write(ref _lastReceived, now);
        if (!partialFrame)
        {
            Volatile.Write(ref _partialFrameSince, 0);
        }
        else if (framesRead || Volatile.Read(ref _partialFrameSince) == 0)
        {
            Volatile.Write(ref _partialFrameSince, now);
        }
    }

    /// <summary>Closes the connection when a deadline has passed (deadline timer; ticks are timestamp units of the transport's clock, idle 0 = off).</summary>
    public void CheckDeadlines(long now, long frameTimeoutTicks, long idleTimeoutTicks, long snapshotIdleTicks)
    {
        long partialSince = Volatile.Read(ref _partialFrameSince);
        if (partialSince != 0 && now - partialSince > frameTimeoutTicks)
        {
            Close(TcpRefusalReason.SlowSender);
        }
        else if (idleTimeoutTicks > 0 && now - Volatile.Read(ref _lastReceived) > idleTimeoutTicks)
        {
            Close(TcpRefusalReason.Idle);
        }
        else if (TransferInProgress && now - Volatile.Read(ref _lastReceived) > snapshotIdleTicks)
        {
            Close(TcpRefusalReason.SnapshotRefused);
        }
    }

    private void Close(TcpRefusalReason reason)
    {
        if (Interlocked.CompareExchange(ref _closedFor, (int)reason, 0) == 0)
        {
            // Asynchronously: the pending read's continuation must not run on the timer's thread.
            _ = _closing.CancelAsync();
        }
    }

    public void Dispose() => _closing.Dispose();
}
