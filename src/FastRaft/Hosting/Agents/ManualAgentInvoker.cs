namespace FastRaft.Hosting.Agents;

/// <summary>
/// Runs an agent step by step on the caller's thread, for tests, simulations and benchmarks: each
/// <see cref="Invoke"/> is one duty cycle at the agent's clock's current time (a fake or virtual
/// clock moves only when its owner moves it). Never blocks and never idles. Use from one thread.
/// </summary>
public sealed class ManualAgentInvoker : IDisposable
{
    private readonly IAgent _agent;
    private bool _started;
    private bool _closed;

    /// <summary>An invoker for <paramref name="agent"/>; nothing runs until <see cref="Start"/> or the first <see cref="Invoke"/>.</summary>
    /// <param name="agent">The agent to step on the caller's thread.</param>
    public ManualAgentInvoker(IAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        _agent = agent;
    }

    /// <summary>The agent this invoker steps.</summary>
    public IAgent Agent => _agent;

    /// <summary>Whether the agent was closed (it finished, or <see cref="Close"/> was called).</summary>
    public bool IsClosed => _closed;

    /// <summary>Duty cycles run so far.</summary>
    public long Invocations { get; private set; }

    /// <summary>Calls <see cref="IAgent.OnStart"/> (once; <see cref="Invoke"/> does it when not done yet).</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (!_started)
        {
            _started = true;
            _agent.OnStart();
        }
    }

    /// <summary>
    /// One duty cycle at <c>Agent.Time.GetTimestamp()</c>; returns the work it did. When the agent
    /// is done (before or after the cycle) it is closed, and this returns 0 from then on.
    /// </summary>
    public int Invoke()
    {
        if (_closed)
        {
            return 0;
        }
        Start();
        int work = 0;
        if (!_agent.IsDone)
        {
            work = _agent.DoWork(_agent.Time.GetTimestamp());
            Invocations++;
        }
        if (_agent.IsDone)
        {
            Close();
        }
        return work;
    }

    /// <summary>
    /// Invokes until <paramref name="condition"/> holds (checked before each cycle) or
    /// <paramref name="maxCycles"/> cycles ran or the agent closed; returns whether it holds.
    /// The clock does not move here: advance it between calls (or use the overload).
    /// </summary>
    public bool RunUntil(Func<bool> condition, int maxCycles) => RunUntil(condition, maxCycles, null);

    /// <summary>
    /// As <see cref="RunUntil(Func{bool}, int)"/>, calling <paramref name="betweenCycles"/> after
    /// each cycle (to advance a fake clock, say).
    /// </summary>
    public bool RunUntil(Func<bool> condition, int maxCycles, Action? betweenCycles)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentOutOfRangeException.ThrowIfNegative(maxCycles);
        for (int i = 0; i < maxCycles; i++)
        {
            if (condition())
            {
                return true;
            }
            if (_closed)
            {
                return false;
            }
            Invoke();
            betweenCycles?.Invoke();
        }
        return condition();
    }

    /// <summary>Closes the agent (<see cref="IAgent.OnClose"/>, once), whether or not it finished.</summary>
    public void Close()
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        _agent.OnClose();
    }

    /// <summary>Closes the agent (as <see cref="Close"/>).</summary>
    public void Dispose() => Close();
}
