namespace FastRaft.FaultCampaign.Campaign;

/// <summary>One node of the campaign's cluster across its process lifetimes (each restart is a new process on the same data directory).</summary>
internal sealed class ClusterNode(ulong id, string ns, string dataDirectory) : IDisposable
{
    private readonly List<NamespacedProcess> _past = [];

    public ulong Id { get; } = id;

    /// <summary>The network namespace the node runs in.</summary>
    public string Namespace { get; } = ns;

    public string DataDirectory { get; } = dataDirectory;

    /// <summary>The process running now (or the last one, when <see cref="Down"/>).</summary>
    public NamespacedProcess? Process { get; private set; }

    /// <summary>Killed by the nemesis and not restarted yet: its process having exited is expected.</summary>
    public bool Down { get; set; }

    /// <summary>Stopped with SIGSTOP and not resumed yet.</summary>
    public bool Paused { get; set; }

    /// <summary>Processes started for this node, the current one included.</summary>
    public int Starts => _past.Count + (Process is null ? 0 : 1);

    /// <summary>Status lines of the current process, or none.</summary>
    public NodeStatus? Status => Process is null || Down ? null : NodeStatus.Last(Process.Lines);

    /// <summary>Started and not yet reported exited, unless killed on purpose.</summary>
    public bool CrashedUnexpectedly => Process is { HasExited: true } && !Down;

    public void Replace(NamespacedProcess process)
    {
        if (Process is not null)
        {
            _past.Add(Process);
        }
        Process = process;
        Down = false;
        Paused = false;
    }

    /// <summary>Every lifetime's output, oldest first (for a failure report).</summary>
    public string History()
    {
        var parts = new List<string>();
        int n = 1;
        foreach (NamespacedProcess p in _past.Append(Process).OfType<NamespacedProcess>())
        {
            parts.Add($"--- node {Id}, process {n++}{(p.HasExited ? $" (exited {p.Process.ExitCode})" : "")}:\n{Tail(p.Text)}");
        }
        return string.Join("\n", parts);
    }

    public void Dispose()
    {
        foreach (NamespacedProcess p in _past)
        {
            p.Dispose();
        }
        Process?.Dispose();
    }

    /// <summary>The last lines of a long output: a failure report stays readable.</summary>
    private static string Tail(string text)
    {
        const int MaxLines = 60;
        string[] lines = text.Split('\n');
        return lines.Length <= MaxLines ? text : $"({lines.Length - MaxLines} earlier lines left out)\n" + string.Join('\n', lines[^MaxLines..]);
    }
}
