namespace FastRaft.Hosting;

/// <summary>
/// The outcome of a linearizable read barrier. On <see cref="RequestStatus.Ok"/> the local state
/// machine has applied at least <see cref="Index"/>, which covers every write committed before the
/// read was requested, so reading it now is linearizable.
/// </summary>
public readonly record struct ReadResult(RequestStatus Status, ulong Index, ulong LeaderHint)
{
    /// <summary>Whether the read barrier succeeded (<see cref="RequestStatus.Ok"/>): the local state is now safe to read.</summary>
    public bool IsOk => Status == RequestStatus.Ok;
}
