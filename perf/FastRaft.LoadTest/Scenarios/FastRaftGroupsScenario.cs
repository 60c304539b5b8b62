using FastRaft.LoadTest.Targets;
using FastRaft.LoadTest.Targets.Groups;

namespace FastRaft.LoadTest.Scenarios;

/// <summary>
/// Many Raft groups of three replicas over three nodes in this process (<c>--groups</c>, default
/// 48), the clients spread over the groups: the aggregate throughput a multi-group deployment
/// gets, compared with the single-group targets of the in-memory-log group.
/// </summary>
public sealed class FastRaftGroupsScenario : LoadScenario
{
    public override string Name => "fastraft-groups";

    public override string Description => "FastRaft, --groups groups (default 48) of 3 replicas on 3 RaftGroupHosts, one --transport per node (default in memory), in-memory log";

    public override string Group => ScenarioCatalog.InMemoryLogGroup;

    public override int Order => 25;

    /// <summary>The budget's load: 256 clients (issue 14).</summary>
    public override IReadOnlyList<int> DefaultClients(LoadTestOptions options) => [256];

    public override ILoadTarget CreateTarget(TargetSettings settings) =>
        new FastRaftGroupsTarget(settings, new FastRaftTargetOptions { Transport = FastRaftTransport.InMemory });
}
