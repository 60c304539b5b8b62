using FastRaft.Hosting.Agents;

namespace FastRaft.Simulation;

/// <summary>
/// The wait source of a multi-group server incarnation's agents (the hub and every group's
/// view): a wake (a request queued, a group flushed, a report arrived) schedules the process's
/// next duty cycle. Never waited on: a manual invoker does not idle.
/// </summary>
internal sealed class SimServerSignal(Simulation sim, SimServer server, int incarnation) : IWaitSource
{
    public void Wait(TimeSpan timeout) => throw new NotSupportedException("a simulated process never waits");

    public void Wake() => sim.Wake(server, incarnation);
}
