using FastRaft.Core;

namespace FastRaft.Hosting.Requests;

internal enum RequestKind
{
    Propose,
    Read,
    Membership,
    Transfer,
}

/// <summary>
/// A request travelling from a caller to the node thread and back: queued by the public API,
/// carried out and completed on the node thread. Each kind completes its own awaitable.
/// </summary>
internal abstract class RequestOperation
{
    public abstract RequestKind Kind { get; }

    /// <summary>Completes the request with a failure.</summary>
    public abstract void Fail(RequestStatus status, ulong leaderHint = 0, StepResult dropReason = StepResult.Ok);
}
