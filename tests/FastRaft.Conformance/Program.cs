using FastRaft.Conformance;
using FastRaft.Conformance.DataDriven;

// Runs etcd raft's datadriven conformance scripts against FastRaft's core:
//   dotnet run -c Release --project tests/FastRaft.Conformance -- [DIR|FILE ...]
List<string> roots = [.. args];
if (roots.Count == 0)
{
    string? root = ScriptLocator.FindDefaultRoot();
    if (root is null)
    {
        Console.Error.WriteLine("conformance: cannot find the vendored scripts (testdata/etcd-raft beside the binaries or tests/FastRaft.Conformance/testdata/etcd-raft above them); pass the script folders as arguments");
        return 2;
    }
    roots.Add(root);
}

int passed = 0, failed = 0;
foreach (string file in ScriptLocator.Scripts(roots))
{
    ScriptResult result = Harnesses.RunScript(file);
    if (result.Passed)
    {
        passed++;
        Console.WriteLine($"PASS {file}");
    }
    else
    {
        failed++;
        Console.WriteLine($"FAIL {file}");
        Console.WriteLine(result.Failure);
    }
}
Console.WriteLine($"conformance: {passed} passed, {failed} failed");
return failed == 0 && passed > 0 ? 0 : 1;
