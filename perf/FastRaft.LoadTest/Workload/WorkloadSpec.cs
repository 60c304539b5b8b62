namespace FastRaft.LoadTest.Workload;

/// <summary>The two ways load is offered.</summary>
public enum WorkloadModel
{
    /// <summary>A fixed number of clients, each proposing again as soon as its last proposal completes.</summary>
    Closed,

    /// <summary>Proposals at a fixed rate whatever the latency, latency measured from each intended send time.</summary>
    Open,
}

/// <summary>One workload: a model and its level.</summary>
/// <param name="Model">Closed or open.</param>
/// <param name="Clients">Closed model: concurrent clients.</param>
/// <param name="Rate">Open model: proposals per second.</param>
/// <param name="MaxInFlight">Open model: the most proposals outstanding at once; beyond it sends wait (and their latency grows).</param>
public sealed record WorkloadSpec(WorkloadModel Model, int Clients, int Rate, int MaxInFlight)
{
    public static WorkloadSpec ClosedWith(int clients) => new(WorkloadModel.Closed, clients, 0, clients);

    public static WorkloadSpec OpenAt(int rate, int maxInFlight) => new(WorkloadModel.Open, 0, rate, maxInFlight);

    /// <summary>"closed, 64 clients" or "open, 5,000/s".</summary>
    public string Label => Model == WorkloadModel.Closed
        ? $"closed, {Clients} client{(Clients == 1 ? "" : "s")}"
        : $"open, {Rate:N0}/s";

    /// <summary>A short key for file names and JSON: "closed-64" or "open-5000".</summary>
    public string Key => Model == WorkloadModel.Closed ? $"closed-{Clients}" : $"open-{Rate}";
}

/// <summary>A running workload.</summary>
public interface IWorkload
{
    /// <summary>Proposals started and not yet completed.</summary>
    int InFlight { get; }

    /// <summary>Open model: sends whose intended time has passed but that were not issued (the backlog); 0 for the closed model.</summary>
    long Backlog { get; }

    /// <summary>Starts offering load.</summary>
    void Start();

    /// <summary>Stops issuing proposals; completes once those in flight completed (or the timeout passed).</summary>
    Task StopAsync(TimeSpan drainTimeout);
}
