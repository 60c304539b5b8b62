namespace FastRaft.Hosting.Agents;

/// <summary>
/// A runner's input marks: one int per agent whose input all arrives through its
/// <see cref="MarkedWaitSource"/>, kept densely in fixed chunks (a chunk never moves, so a
/// producer's reference stays good as agents come and go). When the runner is woken, it reads
/// an idle agent's mark — a few bytes among its neighbours' — instead of asking the agent,
/// which costs several cold cache lines per agent: with thousands of idle groups on one
/// runner, that difference is most of the cost of each wake.
/// </summary>
internal sealed class InputMarks
{
    /// <summary>Marks per chunk: 4 KiB of ints.</summary>
    internal const int ChunkSize = 1024;

    private readonly Lock _gate = new();
    private readonly Stack<(int[] Chunk, int Index)> _free = new();

    /// <summary>The chunk new marks come from (earlier ones stay referenced by their marks' holders).</summary>
    private int[] _chunk = [];
    private int _nextInChunk = ChunkSize;
    private int _inUse;

    /// <summary>Marks rented and not returned (tests).</summary>
    public int InUse
    {
        get
        {
            lock (_gate)
            {
                return _inUse;
            }
        }
    }

    /// <summary>
    /// A free mark, clear: a new agent is asked before its first duty cycle whatever its mark, and
    /// input given before that sets it. (A reused mark may be left set by a late wake for the agent
    /// that had it: one question for nothing.) Any thread.
    /// </summary>
    public (int[] Chunk, int Index) Rent()
    {
        lock (_gate)
        {
            (int[] chunk, int index) = _free.Count > 0 ? _free.Pop() : Next();
            Volatile.Write(ref chunk[index], 0);
            _inUse++;
            return (chunk, index);
        }
    }

    /// <summary>Gives a mark back once its agent has left the runner (or was never added). Any thread.</summary>
    public void Return(int[] chunk, int index)
    {
        lock (_gate)
        {
            _free.Push((chunk, index));
            _inUse--;
        }
    }

    private (int[] Chunk, int Index) Next()
    {
        if (_nextInChunk == ChunkSize)
        {
            _chunk = new int[ChunkSize];
            _nextInChunk = 0;
        }
        return (_chunk, _nextInChunk++);
    }
}

/// <summary>
/// One agent's wait source on a <see cref="CompositeAgentRunner"/>: a wake sets the agent's
/// input mark, then wakes the runner (through <see cref="Inner"/>, what the runner waits on).
/// Every producer of the agent's input wakes it only after publishing the input with an atomic
/// operation (a queue's compare-and-swap), so the mark is seen by the runner's next look at the
/// agent, or the wake makes another pass.
/// </summary>
internal sealed class MarkedWaitSource(CompositeAgentRunner runner, IWaitSource inner, int[] chunk, int index) : IWaitSource
{
    /// <summary>The runner whose marks these are.</summary>
    public CompositeAgentRunner Runner { get; } = runner;

    /// <summary>What the runner waits on (the wakes go there after the mark is set).</summary>
    public IWaitSource Inner { get; } = inner;

    internal int[] Chunk { get; } = chunk;

    internal int Index { get; } = index;

    /// <inheritdoc />
    public void Wait(TimeSpan timeout) => Inner.Wait(timeout);

    /// <inheritdoc />
    public void Wake()
    {
        // Read first: under load the mark stays set (the runner clears it only when it looks at an
        // idle agent), so busy producers share the cache line instead of bouncing it. The
        // exchange is a full fence, so the runner's wake below cannot overtake it.
        if (Volatile.Read(ref Chunk[Index]) == 0)
        {
            Interlocked.Exchange(ref Chunk[Index], 1);
        }
        Inner.Wake();
    }
}
