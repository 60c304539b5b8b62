namespace FastRaft.Conformance;

/// <summary>
/// Finds the etcd raft conformance scripts vendored in this repository
/// (tests/FastRaft.Conformance/testdata/etcd-raft, copied by the build to testdata/etcd-raft
/// beside the binaries of this project and of every project that references it).
/// </summary>
public static class ScriptLocator
{
    private static readonly string[] OutputRelativeRoot = ["testdata", "etcd-raft"];
    private static readonly string[] SourceRelativeRoot = ["tests", "FastRaft.Conformance", "testdata", "etcd-raft"];

    /// <summary>
    /// The default script root: the copy beside the binaries, else the repository's own folder
    /// searched upward from the binaries (a build whose output copy was removed). Null if neither exists.
    /// </summary>
    public static string? FindDefaultRoot()
    {
        string beside = Path.Combine([AppContext.BaseDirectory, .. OutputRelativeRoot]);
        if (Directory.Exists(beside))
        {
            return beside;
        }
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine([dir.FullName, .. SourceRelativeRoot]);
            if (Directory.Exists(candidate))
            {
                return candidate;
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
