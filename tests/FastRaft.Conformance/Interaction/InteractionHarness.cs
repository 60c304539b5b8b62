using FastRaft.Conformance.DataDriven;

namespace FastRaft.Conformance.Interaction;

// Placeholder until the harness is written; every script in its folder fails.
public sealed class InteractionHarness : IScriptHarness
{
    public string Execute(TestCase tc) => throw new NotImplementedException("InteractionHarness is not written yet");
}
