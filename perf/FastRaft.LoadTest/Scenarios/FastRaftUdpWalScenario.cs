using FastRaft.LoadTest.Targets;

namespace FastRaft.LoadTest.Scenarios;

public sealed class FastRaftUdpWalScenario : LoadScenario
{
    public override string Name => "fastraft-udp-wal";

    public override string Description => "FastRaft, 3 nodes over UDP on loopback, write-ahead log (a data sync per Ready)";

    public override string Group => ScenarioCatalog.WriteAheadLogGroup;

    public override int Order => 40;

    public override ILoadTarget CreateTarget(TargetSettings settings) =>
        new FastRaftTarget(settings, new FastRaftTargetOptions { Transport = FastRaftTransport.Udp, Storage = FastRaftStorage.WriteAheadLog });
}
