using FastRaft.Conformance.DataDriven;

namespace FastRaft.Tests.Conformance;

public class ScriptParserTests
{
    [Fact]
    public void ParsesCommandsArgumentsInputAndExpectedOutput()
    {
        const string script = """
            # a comment
            add-nodes 3 voters=(1,2,3) index=10 checkquorum=true
            ----
            line one
            line two

            propose-conf-change 1 transition=explicit
            v2 v3
            ----
            ok
            """;
        List<TestCase> cases = ScriptParser.Parse("x.txt", script);
        Assert.Equal(2, cases.Count);

        TestCase first = cases[0];
        Assert.Equal("add-nodes", first.Cmd);
        Assert.Equal(2, first.Line);
        Assert.Equal("3", first.CmdArgs[0].Key);
        Assert.Equal(["1", "2", "3"], first.Arg("voters")!.Vals);
        Assert.Equal("10", first.Value("index"));
        Assert.Equal("true", first.Value("checkquorum"));
        Assert.Equal("line one\nline two\n", first.Expected);

        TestCase second = cases[1];
        Assert.Equal("v2 v3", second.Input);
        Assert.Equal("ok\n", second.Expected);
    }

    [Fact]
    public void ParenthesizedValuesMayContainSpaces()
    {
        List<TestCase> cases = ScriptParser.Parse("x.txt", "committed cfg=(1) cfgj=(2) idx=(13, 100)\n----\n13\n");
        Assert.Equal(["13", "100"], cases[0].Arg("idx")!.Vals);
    }

    [Fact]
    public void DoubledSeparatorAllowsBlankLines()
    {
        List<TestCase> cases = ScriptParser.Parse("x.txt", "cmd\n----\n----\na\n\nb\n----\n----\n\nnext\n----\nc\n");
        Assert.Equal("a\n\nb\n", cases[0].Expected);
        Assert.Equal("next", cases[1].Cmd);
    }

    [Fact]
    public void MissingSeparatorIsAClearError()
    {
        var e = Assert.Throws<DataDrivenException>(() => ScriptParser.Parse("x.txt", "cmd arg\n"));
        Assert.Contains("x.txt:1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnbalancedParenthesesAreAClearError()
    {
        Assert.Throws<DataDrivenException>(() => ScriptParser.Parse("x.txt", "cmd a=(1,2\n----\nok\n"));
    }

    [Fact]
    public void RunnerReportsTheFirstMismatchingBlockAsADiff()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fastraft-runner-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, "echo a\n----\na\n\necho b\n----\nc\n");
        try
        {
            ScriptResult result = ScriptRunner.Run(path, new EchoHarness());
            Assert.False(result.Passed);
            Assert.Equal(2, result.BlocksRun);
            Assert.Contains("- c", result.Failure, StringComparison.Ordinal);
            Assert.Contains("+ b", result.Failure, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class EchoHarness : IScriptHarness
    {
        public string Execute(TestCase tc) => tc.CmdArgs[0].Key;
    }
}
