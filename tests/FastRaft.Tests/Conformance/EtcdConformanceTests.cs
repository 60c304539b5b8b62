using FastRaft.Conformance;
using FastRaft.Conformance.DataDriven;

namespace FastRaft.Tests.Conformance;

/// <summary>Every etcd raft conformance script, one theory case per file, byte for byte.</summary>
public class EtcdConformanceTests
{
    public static TheoryData<string> Scripts()
    {
        string root = ScriptLocator.FindDefaultRoot()
            ?? throw new DirectoryNotFoundException("the vendored etcd scripts (testdata/etcd-raft) are not beside the test binaries nor in tests/FastRaft.Conformance above them");
        var data = new TheoryData<string>();
        foreach (string file in ScriptLocator.Scripts([root]))
        {
            data.Add(Path.GetRelativePath(root, file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void ScriptPasses(string script)
    {
        string root = ScriptLocator.FindDefaultRoot()!;
        ScriptResult result = Harnesses.RunScript(Path.Combine(root, script));
        Assert.True(result.Passed, result.Failure);
    }

    [Fact]
    public void AllThirtyThreeScriptsArePresent()
    {
        Assert.Equal(33, Scripts().Count);
    }
}
