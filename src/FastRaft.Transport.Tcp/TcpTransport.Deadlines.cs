namespace FastRaft.Transport.Tcp;

public sealed partial class TcpTransport
{
    private readonly HashSet<InboundConnection> _open = [];
    private readonly Lock _openGate = new();
    private ITimer? _deadlineTimer;

    /// <summary>
    /// A timer checks every open connection's frame and idle deadlines a few times per the
    /// shortest of them, so the receive path only stamps times (no timer per read). Timer and
    /// stamps are on <see cref="TcpTransportOptions.Time"/>.
    /// </summary>
    private void StartDeadlineTimer()
    {
        TimeSpan shortest = _options.FrameTimeout < _options.SnapshotIdleTimeout ? _options.FrameTimeout : _options.SnapshotIdleTimeout;
        if (_options.IdleTimeout != Timeout.InfiniteTimeSpan && _options.IdleTimeout < shortest)
        {
            shortest = _options.IdleTimeout;
        }
        TimeSpan period = TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 4, TimeSpan.FromMilliseconds(5).Ticks, TimeSpan.FromSeconds(1).Ticks));
        _deadlineTimer = _options.Time.CreateTimer(static state => ((TcpTransport)state!).CheckDeadlines(), this, period, period);
    }

    private void Track(InboundConnection inbound)
    {
        lock (_openGate)
        {
            _open.Add(inbound);
        }
    }

    private void Untrack(InboundConnection inbound)
    {
        lock (_openGate)
        {
            _open.Remove(inbound);
        }
    }

    private void CheckDeadlines()
    {
        long now = _options.Time.GetTimestamp();
        lock (_openGate)
        {
            foreach (InboundConnection inbound in _open)
            {
                inbound.CheckDeadlines(now, _frameTimeoutTicks, _idleTimeoutTicks, _snapshotIdleTicks);
            }
        }
    }
}
