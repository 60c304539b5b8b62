using FastRaft.LoadTest.Targets;

namespace FastRaft.LoadTest.Scenarios;

public sealed class FastRaftUdpScenario : LoadScenario
{
    public override string Name => "fastraft-udp";

    public override string Description => "FastRaft, 3 nodes over UDP on loopback, in-memory log";

    public override string Group => ScenarioCatalog.InMemoryLogGroup;

    public override int Order => 10;

    public override ILoadTarget CreateTarget(TargetSettings settings) =>
        new FastRaftTarget(settings, new FastRaftTargetOptions { Transport = FastRaftTransport.Udp });
}
