using FastRaft.LoadTest.Targets;

namespace FastRaft.LoadTest.Scenarios;

/// <summary>FastRaft over its own TCP transport: the like-for-like comparison with DotNext's TCP.</summary>
public sealed class FastRaftTcpScenario : LoadScenario
{
    public override string Name => "fastraft-tcp";

    public override string Description => "FastRaft, 3 nodes over TCP on loopback (authenticated), in-memory log";

    public override string Group => ScenarioCatalog.InMemoryLogGroup;

    public override int Order => 15;

    public override ILoadTarget CreateTarget(TargetSettings settings) =>
        new FastRaftTarget(settings, new FastRaftTargetOptions { Transport = FastRaftTransport.Tcp });
}
