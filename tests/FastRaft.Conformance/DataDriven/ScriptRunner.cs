namespace FastRaft.Conformance.DataDriven;

/// <summary>The outcome of running one script.</summary>
public sealed record ScriptResult(string File, bool Passed, string? Failure)
{
    public int BlocksRun { get; init; }
}

/// <summary>A harness executes one command and returns its output text.</summary>
public interface IScriptHarness
{
    string Execute(TestCase tc);
}

/// <summary>
/// Runs a script block by block through a harness, comparing each output with the expected text
/// byte for byte; stops at the first mismatch and reports it as a diff.
/// </summary>
public static class ScriptRunner
{
    public static ScriptResult Run(string path, IScriptHarness harness)
    {
        List<TestCase> cases = ScriptParser.ParseFile(path);
        int run = 0;
        foreach (TestCase tc in cases)
        {
            string actual;
            try
            {
                actual = harness.Execute(tc);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return new ScriptResult(path, false, $"{tc.File}:{tc.Line}: {tc.CommandLine}\nharness threw: {e}") { BlocksRun = run };
            }
            run++;
            if (actual.Length > 0 && !actual.EndsWith('\n'))
            {
                actual += "\n";
            }
            if (actual != tc.Expected)
            {
                return new ScriptResult(path, false, $"{tc.File}:{tc.Line}: {tc.CommandLine}\n{TextDiff.Describe(tc.Expected, actual)}") { BlocksRun = run };
            }
        }
        return new ScriptResult(path, true, null) { BlocksRun = run };
    }
}
