using System.Globalization;

namespace FastRaft.Sample.Cli;

/// <summary>The sample's command line.</summary>
public sealed class SampleOptions
{
    public const string Usage = """
        FastRaft sample: a replicated order-matching engine on a three-node UDP cluster.

        usage:
          FastRaft.Sample [--duration S] [--sessions N] [--data DIR] [--no-failover]
              Three nodes and a client in one process on 127.0.0.1 (the default). Runs a built-in
              order flow for S seconds (default 20), stops the leader half-way and restarts it,
              then checks that every replica holds the same order books. Exit code 0 only if so.
          FastRaft.Sample --node ID --peers LIST [--data DIR] [--duration S]
              One node. LIST is id=host:port[/clientPort],... for every node (the client port
              defaults to the Raft port + 1000). Runs until Ctrl+C (or S seconds).
          FastRaft.Sample --client --peers LIST [--duration S] [--sessions N]
              Sends orders to the cluster for S seconds (default 20), following the leader, then
              checks the replicas that answer. Exit code 0 only if they agree and no order was
              lost or applied twice.

        options:
          --duration S    seconds to run
          --sessions N    concurrent client sessions, one order in flight each (default 32)
          --data DIR      keep each node's log in a write-ahead log under DIR (restart resumes);
                          without it, nodes keep their log in memory
          --no-failover   (demo) do not stop the leader half-way
          --seed N        seed of the order flow (default 1)
          --verbose       log the consensus core's info messages
        """;

    public SampleMode Mode { get; private set; } = SampleMode.Demo;

    /// <summary>How long to run (null: the mode's default).</summary>
    public TimeSpan? Duration { get; private set; }

    public int Sessions { get; private set; } = 32;

    public ulong NodeId { get; private set; }

    public IReadOnlyList<PeerAddress> Peers { get; private set; } = [];

    public string? DataDirectory { get; private set; }

    public bool Failover { get; private set; } = true;

    public int Seed { get; private set; } = 1;

    public bool Verbose { get; private set; }

    public static bool TryParse(IReadOnlyList<string> args, out SampleOptions options, out string? error)
    {
        options = new SampleOptions();
        error = null;
        bool client = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string? Value()
            {
                if (i + 1 >= args.Count)
                {
                    return null;
                }
                return args[++i];
            }
            switch (arg)
            {
                case "-h" or "--help":
                    options.Mode = SampleMode.Help;
                    return true;
                case "--duration":
                    if (!double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || !(seconds > 0) || seconds > 86_400)
                    {
                        error = "--duration needs a number of seconds (0 < S <= 86400)";
                        return false;
                    }
                    options.Duration = TimeSpan.FromSeconds(seconds);
                    break;
                case "--sessions":
                    if (!int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out int sessions) || sessions is < 1 or > 4096)
                    {
                        error = "--sessions needs a number from 1 to 4096";
                        return false;
                    }
                    options.Sessions = sessions;
                    break;
                case "--node":
                    if (!ulong.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong id) || id == 0)
                    {
                        error = "--node needs a positive node id";
                        return false;
                    }
                    options.NodeId = id;
                    break;
                case "--peers":
                    string? list = Value();
                    if (list is null || !PeerAddress.TryParseList(list, out List<PeerAddress> peers, out error))
                    {
                        error ??= "--peers needs a list such as 1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003";
                        return false;
                    }
                    options.Peers = peers;
                    break;
                case "--data":
                    options.DataDirectory = Value();
                    if (string.IsNullOrWhiteSpace(options.DataDirectory))
                    {
                        error = "--data needs a directory";
                        return false;
                    }
                    break;
                case "--seed":
                    if (!int.TryParse(Value(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int seed))
                    {
                        error = "--seed needs an integer";
                        return false;
                    }
                    options.Seed = seed;
                    break;
                case "--client":
                    client = true;
                    break;
                case "--no-failover":
                    options.Failover = false;
                    break;
                case "--verbose":
                    options.Verbose = true;
                    break;
                default:
                    error = $"unknown argument '{arg}' (see --help)";
                    return false;
            }
        }
        return options.Settle(client, out error);
    }

    private bool Settle(bool client, out string? error)
    {
        error = null;
        if (client && NodeId != 0)
        {
            error = "--client and --node exclude each other";
            return false;
        }
        if (client || NodeId != 0)
        {
            Mode = client ? SampleMode.Client : SampleMode.Node;
            if (Peers.Count == 0)
            {
                error = "--peers is required with --node and --client";
                return false;
            }
            if (Mode == SampleMode.Node && !Peers.Any(p => p.Id == NodeId))
            {
                error = $"node {NodeId} is not in --peers";
                return false;
            }
            if (Mode == SampleMode.Client && DataDirectory is not null)
            {
                error = "--data is for nodes";
                return false;
            }
        }
        else if (Peers.Count > 0)
        {
            error = "--peers needs --node or --client";
            return false;
        }
        return true;
    }
}
