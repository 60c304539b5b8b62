using FastRaft.LoadTest.Targets;

namespace FastRaft.LoadTest.Scenarios;

/// <summary>The sample's replicated matching engine as the state machine, over UDP with the in-memory log.</summary>
public sealed class FastRaftMatchingScenario : LoadScenario
{
    public override string Name => "fastraft-matching";

    public override string Description => "FastRaft, 3 nodes over UDP, in-memory log, the sample's matching engine as state machine";

    public override string Group => ScenarioCatalog.InMemoryLogGroup;

    public override int Order => 25;

    public override ILoadTarget CreateTarget(TargetSettings settings) =>
        new FastRaftTarget(settings, new FastRaftTargetOptions
        {
            Transport = FastRaftTransport.Udp,
            StateMachine = static _ => new MatchingLoadStateMachine(),
        });
}
