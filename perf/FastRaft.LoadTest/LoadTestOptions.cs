using System.Globalization;
using FastRaft.LoadTest.Targets;

namespace FastRaft.LoadTest;

/// <summary>The command line: what to run, for how long, and where the reports go.</summary>
public sealed class LoadTestOptions
{
    public string Scenario { get; init; } = "all";

    public double DurationSeconds { get; init; } = 10;

    public double WarmupSeconds { get; init; } = 3;

    public string OutputDirectory { get; init; } = "loadtest-results";

    /// <summary>Which models run: closed, open, or both.</summary>
    public bool RunClosed { get; init; } = true;

    public bool RunOpen { get; init; } = true;

    /// <summary>The closed model's client counts of a scenario that has no default of its own.</summary>
    public static IReadOnlyList<int> DefaultClients { get; } = [1, 64];

    /// <summary>Requests the gateway scenarios keep outstanding in all by default (just under the sample gateway's 4,096 waiting proposals).</summary>
    public const int DefaultGatewayOutstanding = 4000;

    /// <summary>Closed model: one run per client count; null for each scenario's default (<see cref="DefaultClients"/>, gateway: connections × pipeline).</summary>
    public IReadOnlyList<int>? Clients { get; init; }

    /// <summary>Multi-group scenarios: Raft groups, each replicated on every node.</summary>
    public int Groups { get; init; } = DefaultGroups;

    /// <summary>The multi-group scenarios' groups without <c>--groups</c>.</summary>
    public const int DefaultGroups = 48;

    /// <summary>Multi-group scenarios: runner threads per node's group host; null for cores ÷ nodes (at least 1).</summary>
    public int? RunnerThreads { get; init; }

    /// <summary>Multi-group scenarios: runner threads per node with <paramref name="nodes"/> nodes in the process.</summary>
    public int RunnerThreadsFor(int nodes) => RunnerThreads ?? Math.Max(1, Environment.ProcessorCount / nodes);

    /// <summary>Multi-group scenarios: whether leaders are spread over the nodes (<c>--spread-leaders on|off</c>).</summary>
    public bool SpreadLeaders { get; init; } = true;

    /// <summary>Multi-group scenarios: how the nodes' groups talk (<c>--transport inmem|udp|per-group</c>).</summary>
    public GroupTransport GroupTransport { get; init; } = GroupTransport.InMemory;

    /// <summary>Gateway scenarios: TCP client connections to the leader's gateway.</summary>
    public int Connections { get; init; } = 1000;

    /// <summary>Gateway scenarios without <c>--clients</c>: requests outstanding per connection; null for <see cref="DefaultGatewayOutstanding"/> ÷ connections (at least 1).</summary>
    public int? Pipeline { get; init; }

    /// <summary>The requests outstanding per connection with <paramref name="connections"/> connections.</summary>
    public int PipelineFor(int connections) => Pipeline ?? Math.Max(1, DefaultGatewayOutstanding / connections);

    /// <summary>Open model: one run per rate (proposals per second).</summary>
    public IReadOnlyList<int> Rates { get; init; } = [2_000];

    public int MaxInFlight { get; init; } = 1024;

    public int PayloadSize { get; init; } = 16;

    public int Nodes { get; init; } = 3;

    /// <summary>Where write-ahead logs are written (same filesystem for every target).</summary>
    public string DataDirectory { get; init; } = Path.GetTempPath();

    /// <summary>
    /// Entries committed (64 clients) after a target starts and before its first workload, so
    /// logs reach their compaction size and measurements see the steady state; 0 to skip.
    /// </summary>
    public long PrimeEntries { get; init; } = 200_000;

    /// <summary>The longest priming may take.</summary>
    public double PrimeSeconds { get; init; } = 20;

    /// <summary>Overrides the FastRaft targets' MaxInflightMsgs (append messages in flight per follower); null keeps 256.</summary>
    public int? FastRaftInflight { get; init; }

    /// <summary>Seconds each target is watched idle (after its election, before any load); 0 skips it.</summary>
    public double IdleSeconds { get; init; }

    /// <summary>FastRaft targets complete proposals on the node thread (<c>--fastraft-completions inline</c>, the default).</summary>
    public bool FastRaftInlineCompletions { get; init; } = true;

    /// <summary>Seconds to wait for outstanding proposals after a window.</summary>
    public double DrainSeconds { get; init; } = 10;

    public bool ListOnly { get; init; }

    public bool HelpOnly { get; init; }

    public const string Usage = """
        FastRaft load tester: closed and open workloads against FastRaft and DotNext.Net.Cluster.

        dotnet run -c Release --project perf/FastRaft.LoadTest -- [options]

          --scenario <name|all|a,b>  what to load (default all; --list shows the names)
          --duration <s>             measured seconds per workload (default 10)
          --warmup <s>               unmeasured seconds before each window (default 3)
          --out <dir>                where report.md, report.json, report.html go (default loadtest-results)
          --model <closed|open|both> which workload models run (default both)
          --clients <n[,n...]>       closed model: concurrent clients, one run each (default 1,64; gateway
                                     scenarios: connections x pipeline, the requests outstanding in all)
          --rate <r[,r...]>          open model: proposals per second, one run each (default 2000)
          --max-in-flight <n>        open model: bound on outstanding proposals (default 1024)
          --payload <bytes>          proposal size (default 16)
          --data <dir>               where write-ahead logs go (default the temp folder)
          --fastraft-inflight <n>    FastRaft targets' MaxInflightMsgs (default 256, the core's default)
          --fastraft-completions <inline|async>
                                     FastRaft targets: proposals complete on the node thread (inline,
                                     the default: a closed-loop client proposes again in the same
                                     duty cycle) or on the thread pool (async, the host's default)
          --connections <n>          gateway scenarios: TCP client connections to the leader's gateway (default 1000)
          --pipeline <n>             gateway scenarios without --clients: requests outstanding per connection
                                     (default 4000 / connections, at least 1: 4 with 1000 connections)
          --groups <n>               multi-group scenarios (fastraft-groups): Raft groups over the nodes, each with a
                                     replica on every node; closed-model clients are spread over them (default 48)
          --runner-threads <n>       multi-group scenarios: runner threads of each node's RaftGroupHost
                                     (default cores / nodes, at least 1)
          --transport <inmem|udp|per-group>
                                     multi-group scenarios: one in-memory or keyed UDP (127.0.0.1) transport per
                                     node shared by its groups, or one in-memory network per group (default inmem)
          --spread-leaders <on|off>  multi-group scenarios: move each group's leader to its preferred node (default on)
          --idle <s>                 before loading a target, measure its idle CPU and context switches for s seconds (default 0: skip)
          --prime <entries>          entries committed after a target starts, before measuring (default 200000; at most 20 s)
          --list                     list the scenarios and exit
          --help                     this text
        """;

    /// <summary>Parses the arguments; null with an error for anything malformed.</summary>
    public static LoadTestOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        error = null;
        string scenario = "all";
        double duration = 10, warmup = 3;
        string output = "loadtest-results";
        string model = "both";
        IReadOnlyList<int>? clients = null;
        int connections = 1000, pipeline = 0;
        int groups = DefaultGroups, runnerThreads = 0;
        string spread = "on";
        string transport = "inmem";
        IReadOnlyList<int> rates = [2_000];
        int maxInFlight = 1024, payload = 16;
        long prime = 200_000;
        int inflight = 0;
        string completions = "inline";
        double idle = 0;
        string data = Path.GetTempPath();
        bool list = false, help = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "--list":
                    list = true;
                    continue;
                case "--help" or "-h":
                    help = true;
                    continue;
            }
            if (i + 1 >= args.Count)
            {
                error = $"{arg} needs a value (or is unknown); see --help";
                return null;
            }
            string value = args[++i];
            bool ok = arg switch
            {
                "--scenario" => Assign(value, out scenario),
                "--duration" => TryPositive(value, out duration),
                "--warmup" => TryNonNegative(value, out warmup),
                "--out" => Assign(value, out output),
                "--model" => Assign(value.ToLowerInvariant(), out model) && model is "closed" or "open" or "both",
                "--clients" => TryClients(value, out clients),
                "--connections" => TryPositiveInt(value, out connections),
                "--groups" => TryPositiveInt(value, out groups),
                "--runner-threads" => TryPositiveInt(value, out runnerThreads),
                "--transport" => Assign(value.ToLowerInvariant(), out transport) && transport is "inmem" or "udp" or "per-group",
                "--spread-leaders" => Assign(value.ToLowerInvariant(), out spread) && spread is "on" or "off",
                "--pipeline" => TryPositiveInt(value, out pipeline),
                "--rate" => TryList(value, out rates),
                "--max-in-flight" => TryPositiveInt(value, out maxInFlight),
                "--payload" => TryPositiveInt(value, out payload),
                "--data" => Assign(value, out data),
                "--fastraft-inflight" => TryPositiveInt(value, out inflight),
                "--idle" => TryNonNegative(value, out idle),
                "--fastraft-completions" => Assign(value.ToLowerInvariant(), out completions) && completions is "inline" or "async",
                "--prime" => long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out prime) && prime >= 0,
                _ => false,
            };
            if (!ok)
            {
                error = $"bad option {arg} {value}; see --help";
                return null;
            }
        }
        return new LoadTestOptions
        {
            Scenario = scenario,
            DurationSeconds = duration,
            WarmupSeconds = warmup,
            OutputDirectory = output,
            RunClosed = model is "closed" or "both",
            RunOpen = model is "open" or "both",
            Clients = clients,
            Connections = connections,
            Groups = groups,
            RunnerThreads = runnerThreads > 0 ? runnerThreads : null,
            SpreadLeaders = spread == "on",
            GroupTransport = transport switch
            {
                "udp" => GroupTransport.Udp,
                "per-group" => GroupTransport.PerGroup,
                _ => GroupTransport.InMemory,
            },
            Pipeline = pipeline > 0 ? pipeline : null,
            Rates = rates,
            MaxInFlight = maxInFlight,
            PayloadSize = payload,
            DataDirectory = data,
            PrimeEntries = prime,
            FastRaftInflight = inflight > 0 ? inflight : null,
            FastRaftInlineCompletions = completions == "inline",
            IdleSeconds = idle,
            ListOnly = list,
            HelpOnly = help,
        };
    }

    private static bool Assign(string value, out string target)
    {
        target = value;
        return value.Length > 0;
    }

    private static bool TryPositive(string value, out double result) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out result) && result > 0 && double.IsFinite(result);

    private static bool TryNonNegative(string value, out double result) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out result) && result >= 0 && double.IsFinite(result);

    private static bool TryPositiveInt(string value, out int result) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out result) && result > 0;

    private static bool TryClients(string value, out IReadOnlyList<int>? result)
    {
        bool ok = TryList(value, out IReadOnlyList<int> list);
        result = list;
        return ok;
    }

    private static bool TryList(string value, out IReadOnlyList<int> result)
    {
        var items = new List<int>();
        foreach (string part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TryPositiveInt(part, out int n))
            {
                result = [];
                return false;
            }
            items.Add(n);
        }
        result = items;
        return items.Count > 0;
    }
}
