using FastRaft.Hosting;

namespace FastRaft.Tests.Udp;

/// <summary>
/// Drives a polled transport on a thread of its own, the way an agent runner drives a node: poll,
/// and when that found nothing, wait on the transport's wait source (socket readiness, a wake, or
/// <paramref name="idleWait"/>, standing in for the node's next tick). The test thread may still
/// call Send and Flush: those touch only the sending side, as with a receive thread.
/// </summary>
internal sealed class PollPump : IDisposable
{
    private readonly ITransport _transport;
    private readonly TimeProvider _time;
    private readonly TimeSpan _idleWait;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private long _cycles;

    public PollPump(ITransport transport, TimeProvider time, TimeSpan idleWait)
    {
        _transport = transport;
        _time = time;
        _idleWait = idleWait;
        _thread = new Thread(Run) { IsBackground = true, Name = $"test poll pump (node {transport.LocalId})" };
        _thread.Start();
    }

    /// <summary>Duty cycles run so far.</summary>
    public long Cycles => Interlocked.Read(ref _cycles);

    /// <summary>What escaped a cycle, if anything (the pump then stops).</summary>
    public Exception? Error { get; private set; }

    private void Run()
    {
        try
        {
            while (!_stopping)
            {
                Interlocked.Increment(ref _cycles);
                if (_transport.Poll(_time.GetTimestamp()) == 0)
                {
                    _transport.WaitSource!.Wait(_idleWait);
                }
            }
        }
        catch (Exception e)
        {
            Error = e;
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _transport.WaitSource!.Wake();
        Assert.True(_thread.Join(TimeSpan.FromSeconds(10)), "the pump did not stop");
        Assert.Null(Error);
    }
}
