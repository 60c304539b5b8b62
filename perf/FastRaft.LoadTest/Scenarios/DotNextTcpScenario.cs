using FastRaft.LoadTest.Targets;

namespace FastRaft.LoadTest.Scenarios;

public sealed class DotNextTcpScenario : LoadScenario
{
    public override string Name => "dotnext-tcp";

    public override string Description => "DotNext.Net.Cluster 6.12.0, 3 nodes over TCP on loopback, ConsensusOnlyState (in memory)";

    public override string Group => ScenarioCatalog.InMemoryLogGroup;

    public override int Order => 30;

    public override bool IsBaseline => true;

    public override ILoadTarget CreateTarget(TargetSettings settings) =>
        new DotNextTarget(settings, new DotNextTargetOptions { Storage = DotNextStorage.ConsensusOnly });
}
