using FastRaft.Hosting.Idle;

namespace FastRaft.Hosting.Agents;

/// <summary>
/// Runs many agents on one thread (the seam for many Raft groups in one process): each pass runs
/// one duty cycle of every agent that may have work, and the thread idles only when a pass found no
/// work, until the earliest agent deadline. Agents may be added at any time; one that is done is
/// closed and dropped, and one that throws is closed, dropped and reported through
/// <see cref="AgentFailed"/>, while the others carry on. An agent that can tell it has nothing to
/// do (a Raft node) runs only while it has work, when its deadline comes, or when it says it has
/// input, so a wake meant for one of many groups costs the others a check each, not a duty cycle
/// (and none at all while nobody wakes the runner).
/// </summary>
/// <remarks>
/// A thread can block on one wait source only. When every agent has the same
/// <see cref="IAgent.WaitSource"/> (one shared transport, or agents built with this runner's
/// <see cref="WaitSource"/> because their transports have none of their own), the thread blocks on
/// it and wakes at once for any agent's input. When they differ (say, each agent polls its own
/// socket), the thread cannot wait for all of them: it blocks on its own signal for at most
/// <see cref="MaxBackoff"/> at a time, so input for such an agent may wait up to that long and an
/// idle runner wakes about once per <see cref="MaxBackoff"/>. Give agents that share a runner one
/// transport (or one wait source) to avoid that.
/// </remarks>
public sealed class CompositeAgentRunner : IAgentRunner, IDisposable
{
    /// <summary>The default bound on an idle wait when the agents wait on different sources.</summary>
    public static readonly TimeSpan DefaultMaxBackoff = TimeSpan.FromMilliseconds(1);

    private readonly string _name;
    private readonly IIdleStrategy _idle;
    private readonly SignalWaitSource _signal = new();
    private readonly Lock _gate = new();
    private readonly List<IAgent> _added = [];
    private readonly List<IAgent> _agents = [];

    /// <summary>Each agent's <see cref="IDormantAgent"/> side and what it last said (same index as <see cref="_agents"/>).</summary>
    private readonly List<DormantSlot> _dormancy = [];
    private readonly InputMarks _marks = new();

    /// <summary>How long a pass may go on before the interleaved agent runs again in the middle of it.</summary>
    internal static readonly TimeSpan InterleaveInterval = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// An agent also run in the middle of a pass that has gone on for <see cref="InterleaveInterval"/>
    /// (a host's transport hub), or null. Set before the agent is added (the add's lock publishes
    /// it to the runner thread), cleared by the runner thread only.
    /// </summary>
    private IAgent? _interleaved;

    /// <summary>When the interleaved agent last ran (on the pass's clock).</summary>
    private long _interleavedAt;
    private int _markedAgents;

    /// <summary>The shared signal's wake count at the start of the last pass (-1: no shared signal).</summary>
    private long _lastWakes = -1;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IWaitSource? _shared;
    private IWaitSource? _blockingOn;
    private int _addedCount;
    private int _started;
    private volatile bool _stopRequested;
    private Thread? _thread;

    /// <param name="name">The thread's name.</param>
    /// <param name="idleStrategy">Default: <see cref="ParkingIdleStrategy"/>.</param>
    /// <param name="maxBackoff">The longest idle wait when agents wait on different sources (default <see cref="DefaultMaxBackoff"/>).</param>
    public CompositeAgentRunner(string name = "agents", IIdleStrategy? idleStrategy = null, TimeSpan? maxBackoff = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        _name = name;
        _idle = idleStrategy ?? new ParkingIdleStrategy();
        MaxBackoff = maxBackoff ?? DefaultMaxBackoff;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxBackoff, TimeSpan.Zero, nameof(maxBackoff));
    }

    /// <summary>The longest idle wait when the agents do not share one wait source.</summary>
    public TimeSpan MaxBackoff { get; }

    /// <summary>This runner's own signal: agents without a wait source of their own should use it (see the remarks).</summary>
    public IWaitSource WaitSource => _signal;

    /// <summary>Completes once the thread has closed every agent.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Agents the thread runs now (a hint: others may be joining or leaving).</summary>
    public int AgentCount
    {
        get
        {
            lock (_gate)
            {
                return _agents.Count + _added.Count;
            }
        }
    }

    /// <summary>An agent threw from OnStart, DoWork or OnClose; it has been closed and dropped (raised on the runner's thread).</summary>
    public event Action<IAgent, Exception>? AgentFailed;

    /// <summary>Starts the thread. Once only.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw _stopRequested
                ? new ObjectDisposedException(nameof(CompositeAgentRunner))
                : new InvalidOperationException("the runner is already started");
        }
        _thread = new Thread(Run) { IsBackground = true, Name = _name };
        _thread.Start();
    }

    /// <summary>Adds an agent to this runner's thread (before or after <see cref="Start"/>); its <see cref="IAgent.OnStart"/> runs on that thread before its first duty cycle.</summary>
    public void Add(IAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        lock (_gate)
        {
            if (_stopRequested)
            {
                throw new ObjectDisposedException(nameof(CompositeAgentRunner));
            }
            _added.Add(agent);
        }
        Interlocked.Increment(ref _addedCount);
        WakeThread();
    }

    /// <summary>Asks the thread to close every agent and end (any thread).</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _stopRequested = true;
        }
        WakeThread();
    }

    /// <summary>
    /// Stops the thread and waits for it (unless called on the thread itself). Agents of a runner
    /// that never started are closed here, on the caller's thread (never started).
    /// </summary>
    public void Dispose()
    {
        Stop();
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            IAgent[] added;
            lock (_gate)
            {
                added = [.. _added];
                _added.Clear();
            }
            foreach (IAgent agent in added)
            {
                Close(agent);
            }
            _completion.TrySetResult();
            return;
        }
        Thread? thread = _thread;
        if (thread is not null && thread != Thread.CurrentThread)
        {
            thread.Join();
        }
    }

    private void WakeThread()
    {
        Volatile.Read(ref _blockingOn)?.Wake();
        _signal.Wake();
    }

    private void Run()
    {
        while (!_stopRequested)
        {
            if (Volatile.Read(ref _addedCount) > 0)
            {
                TakeAdded();
            }
            int work = RunPass(out TimeSpan wait);
            IWaitSource waitSource = _shared ?? _signal;
            if (work > 0)
            {
                _idle.Idle(work, waitSource, TimeSpan.Zero);
                continue;
            }
            if (_shared is null && wait > MaxBackoff && _agents.Count > 0)
            {
                wait = MaxBackoff;
            }
            // Published (with a full fence) before looking for additions, so that Add either sees
            // the source to wake or the thread sees the addition.
            Interlocked.Exchange(ref _blockingOn, waitSource);
            if (Volatile.Read(ref _addedCount) == 0 && !_stopRequested)
            {
                _idle.Idle(0, waitSource, wait);
            }
        }
        TakeAdded();
        CloseAll();
        _completion.TrySetResult();
    }

    /// <summary>
    /// One duty cycle of every agent that may have something to do; returns the work done and,
    /// for when it is none, the time until the earliest agent deadline (each on its agent's clock).
    /// </summary>
    /// <remarks>
    /// An agent that can tell it has nothing to do (<see cref="IDormantAgent"/>) and whose last
    /// duty cycle did nothing is idle until its deadline: it runs again only when its deadline
    /// comes or it says it has input (a wake meant for one of many agents costs the others a
    /// check, not a duty cycle). The clock is read once per pass and again after each duty cycle
    /// that did work (the only ones that take long), not once per agent.
    /// </remarks>
    private int RunPass(out TimeSpan untilDeadline)
    {
        int work = 0;
        // When every agent wakes the runner through one signal and nobody woke it since the last
        // pass, an idle agent is still idle until its deadline: it is not even asked (on a wake
        // meant for one of thousands of idle groups, the others cost nothing).
        long wakes = _shared is SignalWaitSource signal ? signal.ConsumeWakes() : -1;
        bool trustIdle = wakes >= 0 && wakes == _lastWakes;
        _lastWakes = wakes;
        // Deadlines are collected during the pass for the agents on the first agent's clock (all
        // of them, usually); any other clock means the slower look at every agent afterwards.
        TimeProvider? passTime = null;
        long now = 0;
        long earliest = long.MaxValue;
        bool otherClocks = false;
        long interleaveTicks = long.MaxValue;
        for (int i = _agents.Count - 1; i >= 0; i--)
        {
            DormantSlot slot = _dormancy[i];
            TimeProvider time = slot.Time;
            if (passTime is null)
            {
                passTime = time;
                now = time.GetTimestamp();
                interleaveTicks = (long)(InterleaveInterval.TotalSeconds * time.TimestampFrequency);
            }
            bool sameClock = ReferenceEquals(time, passTime);
            if (sameClock && slot.State == SlotState.Idle && now < slot.Until && trustIdle)
            {
                earliest = Math.Min(earliest, slot.Until);
                continue;
            }
            if (sameClock && slot.State == SlotState.Idle && now < slot.Until && slot.Marks is { } marks && IsUnmarked(marks, slot.MarkIndex))
            {
                // Woken, but nothing came through this agent's own wait source: not even asked.
                earliest = Math.Min(earliest, slot.Until);
                continue;
            }
            IAgent agent = _agents[i];
            try
            {
                if (!agent.IsDone)
                {
                    if (sameClock && slot.State == SlotState.Idle && now < slot.Until && slot.Agent!.IsDormant(now))
                    {
                        // Woken, but not for this one.
                        earliest = Math.Min(earliest, slot.Until);
                        continue;
                    }
                    int done;
                    if (!sameClock || slot.Agent is null)
                    {
                        done = agent.DoWork(sameClock ? now : time.GetTimestamp());
                    }
                    else if (slot.State == SlotState.Idle && trustIdle)
                    {
                        // Its deadline came with nothing else: only what the deadline is for.
                        done = slot.Agent.OnQuietDeadline(now);
                    }
                    else if (slot.State == SlotState.Unknown && slot.Agent.IsDormant(now))
                    {
                        done = 0;
                    }
                    else
                    {
                        done = agent.DoWork(now);
                    }
                    if (_interleaved is { } interleaved && sameClock)
                    {
                        if (ReferenceEquals(agent, interleaved))
                        {
                            _interleavedAt = now;
                        }
                        else if (now - _interleavedAt >= interleaveTicks)
                        {
                            work += RunInterleaved(interleaved, now);
                        }
                    }
                    if (done > 0)
                    {
                        work += done;
                        if (sameClock)
                        {
                            now = time.GetTimestamp();
                        }
                    }
                    // Busy: an agent that did work runs again in the next pass without being asked.
                    slot.State = slot.Agent is null || done > 0 ? SlotState.Busy : SlotState.Idle;
                    if (!agent.IsDone)
                    {
                        long deadline = agent.Deadline;
                        slot.Until = deadline;
                        _dormancy[i] = slot;
                        if (sameClock)
                        {
                            earliest = Math.Min(earliest, deadline);
                        }
                        else
                        {
                            otherClocks = true;
                        }
                        continue;
                    }
                }
            }
            catch (Exception ex)
            {
                Fail(agent, ex);
            }
            Remove(i);
        }
        untilDeadline = work > 0 ? TimeSpan.Zero
            : otherClocks ? UntilEarliestDeadline()
            : Until(passTime, earliest);
        return work;
    }

    /// <summary>
    /// Adds <paramref name="agent"/> as this runner's interleaved agent: besides its own place in
    /// each pass, it runs again after any duty cycle of another agent that ends
    /// <see cref="InterleaveInterval"/> or more after it last ran (the clock is read after each
    /// duty cycle that did work anyway). A host's transport hub is one: with thousands of busy
    /// groups on its runner (all of them electing at start), a pass takes longer than an election
    /// timeout, and messages that moved once per pass made every election and heartbeat late (ten
    /// thousand groups never settled). Short passes, the usual case, are unchanged. One per runner;
    /// it must be on the clock of the runner's other agents.
    /// </summary>
    internal void AddInterleaved(IAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        if (Interlocked.CompareExchange(ref _interleaved, agent, null) is not null)
        {
            throw new InvalidOperationException("the runner already has an interleaved agent");
        }
        Add(agent);
    }

    /// <summary>
    /// One extra duty cycle of the interleaved agent between two others. If it throws, it is
    /// reported and no longer interleaved; its own place in the pass deals with it as with any agent.
    /// </summary>
    private int RunInterleaved(IAgent agent, long now)
    {
        _interleavedAt = now;
        try
        {
            return agent.IsDone ? 0 : agent.DoWork(now);
        }
        catch (Exception ex)
        {
            _interleaved = null;
            Fail(agent, ex);
            return 0;
        }
    }

    /// <summary>
    /// Whether no input came for a marked agent since its runner last looked; if some did, the mark
    /// is cleared (a full fence) before the agent is asked, so input that comes after the clear
    /// sets it again and wakes another pass.
    /// </summary>
    private static bool IsUnmarked(int[] marks, int index) =>
        Volatile.Read(ref marks[index]) == 0 || Interlocked.Exchange(ref marks[index], 0) == 0;

    /// <summary>
    /// A wait source for one agent to be added to this runner: its wakes set the agent's input
    /// mark, then wake <paramref name="inner"/> (what this runner waits on for all its agents:
    /// <see cref="WaitSource"/>, or a shared transport's own). An <see cref="IDormantAgent"/> whose
    /// every input wakes it through this source (<see cref="IDormantAgent.InputWakesOnlyThroughWaitSource"/>)
    /// is then not asked, when the runner is woken, unless its mark is set.
    /// </summary>
    internal IWaitSource CreateMarkedWaitSource(IWaitSource inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        (int[] chunk, int index) = _marks.Rent();
        return new MarkedWaitSource(this, inner, chunk, index);
    }

    /// <summary>
    /// Gives back the mark of a source from <see cref="CreateMarkedWaitSource"/> whose agent was
    /// never added (its construction or start failed); the mark of an added agent goes back when
    /// it leaves the runner.
    /// </summary>
    internal void ReturnUnusedMark(IWaitSource source)
    {
        if (source is MarkedWaitSource marked && ReferenceEquals(marked.Runner, this))
        {
            _marks.Return(marked.Chunk, marked.Index);
        }
    }

    /// <summary>Input marks handed out and not given back (tests; any thread).</summary>
    internal int MarksInUse => _marks.InUse;

    /// <summary>Agents this runner skips while idle unless their input mark is set (tests; any thread).</summary>
    internal int MarkedAgentCount => Volatile.Read(ref _markedAgents);

    /// <summary>What the runner waits on for an agent whose wait source is <paramref name="source"/>.</summary>
    private static IWaitSource Unwrap(IWaitSource source) => source is MarkedWaitSource marked ? marked.Inner : source;

    private static TimeSpan Until(TimeProvider? time, long deadline)
    {
        if (time is null || deadline == long.MaxValue)
        {
            return TimeSpan.MaxValue;
        }
        long now = time.GetTimestamp();
        return deadline > now ? time.GetElapsedTime(now, deadline) : TimeSpan.Zero;
    }

    /// <summary>The time until the earliest agent deadline, each on its agent's clock (MaxValue: no agents).</summary>
    private TimeSpan UntilEarliestDeadline()
    {
        TimeSpan wait = TimeSpan.MaxValue;
        foreach (IAgent agent in _agents)
        {
            TimeProvider time = agent.Time;
            long now = time.GetTimestamp();
            long deadline = agent.Deadline;
            TimeSpan until = deadline == long.MaxValue ? TimeSpan.MaxValue
                : deadline > now ? time.GetElapsedTime(now, deadline) : TimeSpan.Zero;
            if (until < wait)
            {
                wait = until;
            }
        }
        return wait;
    }

    private void TakeAdded()
    {
        IAgent[] added;
        lock (_gate)
        {
            added = [.. _added];
            _added.Clear();
            Interlocked.Exchange(ref _addedCount, 0);
        }
        foreach (IAgent agent in added)
        {
            try
            {
                var slot = new DormantSlot(agent as IDormantAgent, agent.Time);
                IWaitSource waitSource = agent.WaitSource;
                if (waitSource is MarkedWaitSource marked && ReferenceEquals(marked.Runner, this)
                    && slot.Agent is { InputWakesOnlyThroughWaitSource: true })
                {
                    slot.Marks = marked.Chunk;
                    slot.MarkIndex = marked.Index;
                    Volatile.Write(ref _markedAgents, _markedAgents + 1);
                }
                agent.OnStart();
                _agents.Add(agent);
                _dormancy.Add(slot);
                JoinShared(waitSource);
            }
            catch (Exception ex)
            {
                Fail(agent, ex);
                Close(agent);
            }
        }
    }

    /// <summary>The shared source after one more agent joined (without a pass over all of them, as thousands may join).</summary>
    private void JoinShared(IWaitSource waitSource)
    {
        waitSource = Unwrap(waitSource);
        if (_agents.Count == 1)
        {
            _shared = waitSource;
        }
        else if (_shared is not null && !ReferenceEquals(_shared, waitSource))
        {
            _shared = null;
        }
    }

    private void Remove(int index)
    {
        IAgent agent = _agents[index];
        if (ReferenceEquals(agent, _interleaved))
        {
            _interleaved = null;
        }
        if (_dormancy[index].Marks is not null)
        {
            Volatile.Write(ref _markedAgents, _markedAgents - 1);
        }
        _agents.RemoveAt(index);
        _dormancy.RemoveAt(index);
        Close(agent);
        if (agent.WaitSource is MarkedWaitSource marked && ReferenceEquals(marked.Runner, this))
        {
            // A late wake through the old source sets a mark that may be another agent's by then:
            // that agent is asked once for nothing, which is harmless.
            _marks.Return(marked.Chunk, marked.Index);
        }
        // Removing an agent cannot make shared sources differ: only a runner without one looks
        // again (looking is a pass over every agent, too slow once per removal of thousands).
        if (_shared is null || _agents.Count == 0)
        {
            UpdateShared();
        }
    }

    private void CloseAll()
    {
        for (int i = _agents.Count - 1; i >= 0; i--)
        {
            Remove(i);
        }
    }

    private void Close(IAgent agent)
    {
        try
        {
            agent.OnClose();
        }
        catch (Exception ex)
        {
            Fail(agent, ex);
        }
    }

    private void Fail(IAgent agent, Exception ex)
    {
        try
        {
            AgentFailed?.Invoke(agent, ex);
        }
        catch (Exception)
        {
            // A failing handler must not take the other agents down with it.
        }
    }

    /// <summary>The wait source every agent shares, or null when they differ (or there are none).</summary>
    private void UpdateShared()
    {
        IWaitSource? shared = null;
        foreach (IAgent agent in _agents)
        {
            IWaitSource ws = Unwrap(agent.WaitSource);
            if (shared is null)
            {
                shared = ws;
            }
            else if (!ReferenceEquals(shared, ws))
            {
                shared = null;
                break;
            }
        }
        _shared = shared;
    }

    /// <summary>What the runner knows of an agent between passes (see <see cref="DormantSlot"/>).</summary>
    private enum SlotState : byte
    {
        /// <summary>Not run yet: an <see cref="IDormantAgent"/> is asked before its first duty cycle.</summary>
        Unknown,

        /// <summary>Its last duty cycle did work (or it cannot tell when it has none): it runs in the next pass.</summary>
        Busy,

        /// <summary>Its last duty cycle, or its answer, found nothing to do: it runs at its deadline or when it has input.</summary>
        Idle,
    }

    /// <summary>
    /// An agent's dormancy: its <see cref="IDormantAgent"/> side (or null), its clock (read once),
    /// what its last duty cycle found and its deadline as of then.
    /// </summary>
    private struct DormantSlot(IDormantAgent? agent, TimeProvider time)
    {
        public readonly IDormantAgent? Agent = agent;
        public readonly TimeProvider Time = time;
        public SlotState State = SlotState.Unknown;
        public long Until = long.MinValue;

        /// <summary>The chunk holding the agent's input mark (see <see cref="InputMarks"/>), or null: asked on every wake.</summary>
        public int[]? Marks;
        public int MarkIndex;
    }
}
