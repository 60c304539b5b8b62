using FastRaft.LoadTest.Targets;
using FastRaft.LoadTest.Targets.Gateway;
using FastRaft.Sample.Cluster;

namespace FastRaft.LoadTest.Scenarios;

/// <summary>
/// The sample end to end: its 3-node cluster (Raft over UDP) loaded through the leader's TCP
/// client gateway by many connections. In a group of its own: it is an application, not a
/// replicated log like the other targets, so nothing is compared with it.
/// </summary>
public class SampleGatewayScenario : LoadScenario
{
    public override string Name => "sample-gateway";

    public override string Description => "the sample's 3-node matching engine (Raft over UDP) through its TCP client gateway, --connections client connections";

    public override string Group => ScenarioCatalog.SampleGatewayGroup;

    public override int Order => 80;

    /// <summary>How the sample's nodes talk Raft.</summary>
    protected virtual RaftTransportKind Transport => RaftTransportKind.Udp;

    /// <summary>Without <c>--clients</c>: <c>--connections</c> × <c>--pipeline</c> requests outstanding.</summary>
    public override IReadOnlyList<int> DefaultClients(LoadTestOptions options) => [options.Connections * options.PipelineFor(options.Connections)];

    public override ILoadTarget CreateTarget(TargetSettings settings) => new GatewayTarget(settings, Transport);
}

/// <summary><see cref="SampleGatewayScenario"/> with the sample's nodes talking Raft over TCP.</summary>
public sealed class SampleGatewayTcpScenario : SampleGatewayScenario
{
    public override string Name => "sample-gateway-tcp";

    public override string Description => "the sample's 3-node matching engine (Raft over TCP) through its TCP client gateway, --connections client connections";

    public override int Order => 81;

    protected override RaftTransportKind Transport => RaftTransportKind.Tcp;
}
