using FastRaft.LoadTest.Targets;

namespace FastRaft.LoadTest.Scenarios;

public sealed class DotNextTcpWalScenario : LoadScenario
{
    public override string Name => "dotnext-tcp-wal";

    public override string Description => "DotNext.Net.Cluster 6.12.0, 3 nodes over TCP on loopback, WriteAheadLog (flushes on every commit)";

    public override string Group => ScenarioCatalog.WriteAheadLogGroup;

    public override int Order => 50;

    public override bool IsBaseline => true;

    public override ILoadTarget CreateTarget(TargetSettings settings) =>
        new DotNextTarget(settings, new DotNextTargetOptions { Storage = DotNextStorage.WriteAheadLog });
}
