using FastRaft.Hosting.Idle;

namespace FastRaft.Hosting.Agents;

/// <summary>
/// Runs one agent on a dedicated thread (the default for a node): duty cycle after duty cycle at
/// the agent's own clock, idling through the idle strategy when a cycle found no work (by default
/// a short spin, then a block on the agent's <see cref="IAgent.WaitSource"/> until its
/// <see cref="IAgent.Deadline"/>). The thread ends when the agent is done or the runner is
/// stopped, after closing the agent.
/// </summary>
public sealed class AgentRunner : IDisposable
{
    private readonly IAgent _agent;
    private readonly IIdleStrategy _idle;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread? _thread;
    private int _started;
    private volatile bool _stopRequested;

    /// <param name="agent">The agent this runner's thread runs.</param>
    /// <param name="idleStrategy">Default: <see cref="ParkingIdleStrategy"/>.</param>
    public AgentRunner(IAgent agent, IIdleStrategy? idleStrategy = null)
    {
        ArgumentNullException.ThrowIfNull(agent);
        _agent = agent;
        _idle = idleStrategy ?? new ParkingIdleStrategy();
    }

    /// <summary>The agent this runner's thread runs.</summary>
    public IAgent Agent => _agent;

    /// <summary>Completes once the thread has closed the agent; faulted with what the agent threw, if it threw.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Starts the thread (named after the agent). Once only.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw _stopRequested
                ? new ObjectDisposedException(nameof(AgentRunner))
                : new InvalidOperationException("the runner is already started");
        }
        _thread = new Thread(Run) { IsBackground = true, Name = _agent.Name };
        _thread.Start();
    }

    /// <summary>Asks the thread to close the agent after its current cycle (any thread; the agent is woken).</summary>
    public void Stop()
    {
        _stopRequested = true;
        _agent.WaitSource.Wake();
    }

    /// <summary>
    /// Stops the thread and waits for it to end (unless called on the thread itself). The agent
    /// of a runner that never started is closed here, on the caller's thread (never started).
    /// </summary>
    public void Dispose()
    {
        Stop();
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            Exception? failure = null;
            try
            {
                _agent.OnClose();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            Complete(failure);
            return;
        }
        Thread? thread = _thread;
        if (thread is not null && thread != Thread.CurrentThread)
        {
            thread.Join();
        }
    }

    private void Run()
    {
        IAgent agent = _agent;
        TimeProvider time = agent.Time;
        IWaitSource waitSource = agent.WaitSource;
        Exception? failure = null;
        try
        {
            agent.OnStart();
            while (!_stopRequested && !agent.IsDone)
            {
                int work = agent.DoWork(time.GetTimestamp());
                if (work > 0)
                {
                    _idle.Idle(work, waitSource, TimeSpan.Zero);
                    continue;
                }
                long now = time.GetTimestamp();
                long deadline = agent.Deadline;
                // long.MaxValue: no deadline at all (a quiesced leader); never converted, it could overflow.
                _idle.Idle(0, waitSource, deadline == long.MaxValue ? TimeSpan.MaxValue
                    : deadline > now ? time.GetElapsedTime(now, deadline) : TimeSpan.Zero);
            }
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        try
        {
            agent.OnClose();
        }
        catch (Exception ex)
        {
            failure ??= ex;
        }
        Complete(failure);
    }

    private void Complete(Exception? failure)
    {
        if (failure is null)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(failure);
        }
    }
}
