namespace FastRaft.Tests.Docs;

/// <summary>
/// The README's embedding example is the file CI builds and runs (examples/KeyValueStore), so the
/// code a reader copies is code that compiles and works.
/// </summary>
public sealed class ReadmeExampleTests
{
    private const string Heading = "## Embedding FastRaft";
    private const string Fence = "```";

    [Fact]
    public void The_embedding_section_shows_examples_KeyValueStore_Program_cs_verbatim()
    {
        string root = RepositoryRoot();
        string readme = Normalize(File.ReadAllText(Path.Combine(root, "README.md")));
        string program = Normalize(File.ReadAllText(Path.Combine(root, "examples", "KeyValueStore", "Program.cs")));

        int section = readme.IndexOf("\n" + Heading + "\n", StringComparison.Ordinal);
        Assert.True(section >= 0, $"README has no '{Heading}' section");
        int open = readme.IndexOf("\n" + Fence + "csharp\n", section, StringComparison.Ordinal);
        int next = readme.IndexOf("\n## ", section + 1, StringComparison.Ordinal);
        Assert.True(open >= 0 && (next < 0 || open < next), $"the '{Heading}' section has no csharp block");
        int start = open + Fence.Length + "csharp".Length + 2;
        int close = readme.IndexOf("\n" + Fence + "\n", start - 1, StringComparison.Ordinal);
        Assert.True(close > start, "the csharp block is not closed");

        Assert.Equal(program.TrimEnd('\n'), readme[start..close]);
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FastRaft.sln")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException($"no FastRaft.sln above {AppContext.BaseDirectory}");
    }
}
