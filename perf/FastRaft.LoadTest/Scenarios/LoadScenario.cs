using FastRaft.LoadTest.Targets;

namespace FastRaft.LoadTest.Scenarios;

/// <summary>
/// One thing to load: a named target. Adding a scenario is one small subclass with a public
/// parameterless constructor (the catalog finds it); the workload models (closed and open) and
/// the reports come for free.
/// </summary>
public abstract class LoadScenario
{
    /// <summary>The name given to <c>--scenario</c> (lower case, dashes).</summary>
    public abstract string Name { get; }

    /// <summary>One sentence for <c>--list</c> and the reports.</summary>
    public abstract string Description { get; }

    /// <summary>Scenarios of one group are compared side by side (same storage class).</summary>
    public abstract string Group { get; }

    /// <summary>Where the scenario sorts in listings and in an "all" run.</summary>
    public virtual int Order => 100;

    /// <summary>Whether the scenario is a FastRaft target (DotNext ones are the baseline).</summary>
    public virtual bool IsBaseline => false;

    /// <summary>The closed model's client counts when <c>--clients</c> is not given.</summary>
    public virtual IReadOnlyList<int> DefaultClients(LoadTestOptions options) => LoadTestOptions.DefaultClients;

    public abstract ILoadTarget CreateTarget(TargetSettings settings);
}
