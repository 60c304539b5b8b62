using FastRaft.Conformance.DataDriven;

namespace FastRaft.Conformance.ConfChanges;

// Placeholder until the harness is written; every script in its folder fails.
public sealed class ConfChangeHarness : IScriptHarness
{
    public string Execute(TestCase tc) => throw new NotImplementedException("ConfChangeHarness is not written yet");
}
