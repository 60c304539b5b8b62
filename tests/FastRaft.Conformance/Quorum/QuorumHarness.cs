using FastRaft.Conformance.DataDriven;

namespace FastRaft.Conformance.Quorum;

// Placeholder until the harness is written; every script in its folder fails.
public sealed class QuorumHarness : IScriptHarness
{
    public string Execute(TestCase tc) => throw new NotImplementedException("QuorumHarness is not written yet");
}
