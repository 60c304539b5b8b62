namespace FastRaft.Conformance;

/// <summary>Finds the etcd raft conformance scripts (../shared/conformance/etcd-raft next to the repository).</summary>
public static class ScriptLocator
{
    private static readonly string[] RelativeRoot = ["shared", "conformance", "etcd-raft"];

    /// <summary>The default script root, searched upward from the working and the binary directory.</summary>
    public static string? FindDefaultRoot()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine([dir.FullName, .. RelativeRoot]);
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }

    /// <summary>Every *.txt under the given folders, sorted for a stable order.</summary>
    public static List<string> Scripts(IEnumerable<string> roots)
    {
        var files = new List<string>();
        foreach (string root in roots)
        {
            if (File.Exists(root))
            {
                files.Add(Path.GetFullPath(root));
                continue;
            }
            if (!Directory.Exists(root))
            {
                throw new DirectoryNotFoundException($"no such script folder: {root}");
            }
            files.AddRange(Directory.GetFiles(root, "*.txt", SearchOption.AllDirectories));
        }
        files.Sort(StringComparer.Ordinal);
        return files;
    }
}
