using FastRaft.Conformance.DataDriven;

namespace FastRaft.Conformance;

/// <summary>Picks the harness for a script by the name of the folder it sits in.</summary>
public static class Harnesses
{
    public static IScriptHarness ForScript(string path)
    {
        string folder = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path))) ?? "";
        return folder switch
        {
            "quorum" => new Quorum.QuorumHarness(),
            "confchange" => new ConfChanges.ConfChangeHarness(),
            "interaction" => new Interaction.InteractionHarness(),
            _ => throw new DataDrivenException($"{path}: no harness for folder '{folder}' (expected quorum, confchange or interaction)"),
        };
    }

    public static ScriptResult RunScript(string path) => ScriptRunner.Run(path, Harnesses.ForScript(path));
}
