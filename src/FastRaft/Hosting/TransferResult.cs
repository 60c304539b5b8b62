namespace FastRaft.Hosting;

/// <summary>The outcome of a leadership transfer; <see cref="Leader"/> is the leader as this node last knew it.</summary>
public readonly record struct TransferResult(RequestStatus Status, ulong Leader)
{
    /// <summary>Whether the target became leader (<see cref="RequestStatus.Ok"/>).</summary>
    public bool IsOk => Status == RequestStatus.Ok;
}
