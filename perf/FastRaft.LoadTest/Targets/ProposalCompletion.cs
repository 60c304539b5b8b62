using System.Threading.Tasks.Sources;
using FastRaft.Hosting;

namespace FastRaft.LoadTest.Targets;

/// <summary>
/// Turns a <see cref="RaftNode{TResult}"/> proposal into a <see cref="ProposalOutcome"/> without
/// allocating, whichever threads propose and complete. (An async wrapper's pooled box is rented
/// on the proposing thread and returned on the completing one, so with an injector thread
/// proposing and pool threads completing, boxes drift away and every proposal allocates one. A
/// plain callback on the proposal would allocate a thread-pool work item per completion, as the
/// node completes proposals asynchronously.) Each completion owns a long-lived "pump": an async
/// loop that waits to be started, awaits the proposal (the node queues the loop's own box, no
/// allocation), and completes the caller inline. Completions are pooled.
/// </summary>
internal sealed class ProposalCompletion : IValueTaskSource<ProposalOutcome>, IValueTaskSource<bool>
{
    private const int MaxPooled = 4096;
    private const int MaxPooledPerThread = 256;
    private static readonly Lock s_gate = new();
    private static readonly Stack<ProposalCompletion> s_pool = new();

    // A first level per thread: in the closed model a client's continuation runs on the thread
    // that completed its last proposal (a runner), which also proposes the next one, so rent and
    // return meet on the same thread and the shared pool's lock (7% of a 48-group run's profile,
    // none of it the library's) is taken only when a thread's own stack runs empty or full.
    [ThreadStatic]
    private static Stack<ProposalCompletion>? t_pool;

    private ManualResetValueTaskSourceCore<ProposalOutcome> _result;
    private ManualResetValueTaskSourceCore<bool> _start;
    private ValueTask<ProposeResult<long>> _proposal;
    private Func<ProposeResult<long>, ProposalOutcome>? _map;

    private ProposalCompletion()
    {
        _ = PumpAsync();
    }

    /// <summary>The outcome of <paramref name="proposal"/> as <paramref name="map"/> reads it.</summary>
    public static ValueTask<ProposalOutcome> Of(ValueTask<ProposeResult<long>> proposal, Func<ProposeResult<long>, ProposalOutcome> map)
    {
        if (proposal.IsCompleted)
        {
            return new ValueTask<ProposalOutcome>(map(proposal.Result));
        }
        ProposalCompletion c = Rent();
        c._proposal = proposal;
        c._map = map;
        short version = c._result.Version;
        c._start.SetResult(true);
        return new ValueTask<ProposalOutcome>(c, version);
    }

    private async Task PumpAsync()
    {
        while (true)
        {
            await new ValueTask<bool>(this, _start.Version).ConfigureAwait(false);
            ProposalOutcome outcome;
            try
            {
                outcome = _map!(await _proposal.ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                outcome = ProposalOutcome.Error;
            }
            // Cleared before completing: the caller may return this completion and it may be
            // started again before this loop comes round.
            _proposal = default;
            _map = null;
            _result.SetResult(outcome);
        }
    }

    public ProposalOutcome GetResult(short token)
    {
        ProposalOutcome outcome = _result.GetResult(token);
        _result.Reset();
        Return(this);
        return outcome;
    }

    public ValueTaskSourceStatus GetStatus(short token) => _result.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _result.OnCompleted(continuation, state, token, flags);

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        bool started = _start.GetResult(token);
        _start.Reset();
        return started;
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _start.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _start.OnCompleted(continuation, state, token, flags);

    private static ProposalCompletion Rent()
    {
        if (t_pool is { Count: > 0 } local)
        {
            return local.Pop();
        }
        lock (s_gate)
        {
            if (s_pool.TryPop(out ProposalCompletion? c))
            {
                return c;
            }
        }
        return new ProposalCompletion();
    }

    private static void Return(ProposalCompletion c)
    {
        Stack<ProposalCompletion> local = t_pool ??= new Stack<ProposalCompletion>(MaxPooledPerThread);
        if (local.Count < MaxPooledPerThread)
        {
            local.Push(c);
            return;
        }
        lock (s_gate)
        {
            if (s_pool.Count < MaxPooled)
            {
                s_pool.Push(c);
            }
        }
    }
}
