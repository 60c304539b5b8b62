using FastRaft.LoadTest.Targets;

namespace FastRaft.LoadTest.Scenarios;

public sealed class FastRaftInMemoryScenario : LoadScenario
{
    public override string Name => "fastraft-inmem";

    public override string Description => "FastRaft, 3 nodes over the in-memory transport (no sockets), in-memory log";

    public override string Group => ScenarioCatalog.InMemoryLogGroup;

    public override int Order => 20;

    public override ILoadTarget CreateTarget(TargetSettings settings) =>
        new FastRaftTarget(settings, new FastRaftTargetOptions { Transport = FastRaftTransport.InMemory });
}
