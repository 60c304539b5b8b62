namespace FastRaft.Transport.Tcp;

/// <summary>
/// A cancellation source whose <see cref="CancelAfter"/> counts on a <see cref="TimeProvider"/>
/// (the transport's <see cref="TcpTransportOptions.Time"/>) and that is also cancelled when the
/// token it follows is (the transport stopping). A linked source cannot take a clock, so the
/// link is a registration; a source built with a clock keeps using it for every CancelAfter.
/// </summary>
internal sealed class ClockedCancellation : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationTokenRegistration _link;

    public ClockedCancellation(TimeProvider time, CancellationToken follows)
    {
        _source = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        _link = follows.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), _source);
    }

    public CancellationToken Token => _source.Token;

    /// <summary>Cancels after <paramref name="delay"/> on the clock, replacing any earlier deadline.</summary>
    public void CancelAfter(TimeSpan delay) => _source.CancelAfter(delay);

    public void Dispose()
    {
        _link.Dispose();
        _source.Dispose();
    }
}
