using FastRaft.Hosting;

namespace FastRaft.LoadTest.Targets;

/// <summary>What every target of one run shares, so results compare like for like.</summary>
public sealed class TargetSettings
{
    /// <summary>Voters in the cluster.</summary>
    public int Nodes { get; init; } = 3;

    /// <summary>Bytes per proposal.</summary>
    public int PayloadSize { get; init; } = 16;

    /// <summary>Where targets with a write-ahead log keep their files (one fresh folder per target, deleted after).</summary>
    public string DataDirectory { get; init; } = Path.GetTempPath();

    /// <summary>How long a target may take to start and elect a leader.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>When set, FastRaft targets use this MaxInflightMsgs instead of their own (a tuning knob for comparisons).</summary>
    public int? FastRaftMaxInflightMsgs { get; init; }

    /// <summary>
    /// FastRaft targets run proposal continuations on the node thread
    /// (<see cref="RaftNodeOptions.RunContinuationsInline"/>): a closed-loop client proposes its
    /// next entry inside the duty cycle that completed the last one, with no thread hand-off.
    /// </summary>
    public bool FastRaftInlineCompletions { get; init; } = true;

    /// <summary>Multi-group targets: Raft groups (each with a replica on every node).</summary>
    public int Groups { get; init; } = 48;

    /// <summary>Multi-group targets: runner threads of each node's <c>RaftGroupHost</c>.</summary>
    public int GroupRunnerThreads { get; init; } = 1;

    /// <summary>Multi-group targets: how the nodes' groups talk.</summary>
    public GroupTransport GroupTransport { get; init; } = GroupTransport.InMemory;

    /// <summary>Multi-group targets: whether the hosts spread the groups' leaders over the nodes.</summary>
    public bool SpreadLeaders { get; init; } = true;

    /// <summary>Gateway targets: TCP client connections to the leader's gateway.</summary>
    public int GatewayConnections { get; init; } = 1000;

    /// <summary>Where targets report progress and problems.</summary>
    public TextWriter Log { get; init; } = TextWriter.Null;

    /// <summary>A fresh, unique folder under <see cref="DataDirectory"/>.</summary>
    public string NewDataFolder(string prefix)
    {
        string path = Path.Combine(DataDirectory, $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }
}

/// <summary>How the groups of a multi-group target talk.</summary>
public enum GroupTransport
{
    /// <summary>One in-memory transport per node shared by all its groups (the host's GroupTransportHub).</summary>
    InMemory,

    /// <summary>One keyed UDP transport per node on 127.0.0.1 shared by all its groups.</summary>
    Udp,

    /// <summary>One in-memory network per group (a transport per replica, no hub): for comparison.</summary>
    PerGroup,
}
