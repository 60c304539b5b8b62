using System.Globalization;
using FastRaft.Sample.Cluster;

namespace FastRaft.Sample.Cli;

/// <summary>The sample's command line.</summary>
internal sealed class SampleOptions
{
    public const string Usage = """
        FastRaft sample: a replicated order-matching engine on a three-node cluster.

        usage:
          FastRaft.Sample [--duration S] [--sessions N] [--data DIR] [--no-failover] [--transport udp|tcp]
              Three nodes and a client in one process on 127.0.0.1 (the default), authenticated
              with a random key of their own. Runs a built-in order flow for S seconds (default
              20), stops the leader half-way and restarts it, then checks that every replica
              holds the same order books. Exit code 0 only if so.
          FastRaft.Sample --instruments N [--duration S] [--sessions K] [--seed N]
              The matching engine with one Raft group per instrument (N from 1 to 256) over
              three nodes in one process: each node one RaftGroupHost with one UDP transport
              (authenticated with a random key) shared by all its groups, the groups' leaders
              spread over the nodes. K sessions (default 32, at least N) trade one instrument
              each for S seconds (default 20); then every group's replicas are compared. Exit
              code 0 only if every group's replicas hold identical order books.
          FastRaft.Sample --gen-key PATH
              Writes a new random cluster key (32 bytes as 64 hex characters) to PATH, readable
              by its owner only (mode 0600). Never overwrites a file.
          FastRaft.Sample --node ID --peers LIST (--key-file PATH | --insecure-no-auth)
                          [--data DIR] [--init | --join] [--duration S] [--transport udp|tcp]
              One node. LIST is id=host:port[/clientPort],... for every node (the client port
              defaults to the Raft port + 1000); every address and port must differ. The key
              may also come from the environment variable FASTRAFT_CLUSTER_KEY (the same 64
              hex characters). Runs until Ctrl+C (or S seconds).
              --init  this node, with an empty data directory, bootstraps a new cluster whose
                      members are the nodes in LIST (give it to each of them on first start).
              --join  this node, with an empty data directory, starts with no configuration
                      and waits to be added to a running cluster (with --add-node below); LIST
                      holds the running members and this node.
              A node restarting on its data directory needs neither (and ignores them). An
              empty or missing data directory without one of them is refused: a node that
              lost its data must not come back under its old id. Without --data a node keeps
              its log in memory: it has no durable identity, so it always needs --init or
              --join, and must never be restarted under the same id.
          FastRaft.Sample --client --peers LIST [--duration S] [--sessions N]
              Sends orders to the cluster for S seconds (default 20), following the leader, then
              checks the replicas that answer. Exit code 0 only if they agree and no order was
              lost or applied twice. Needs no key.
          FastRaft.Sample --client --peers LIST --add-node ID=host:port[/clientPort]
                          (--key-file PATH | --insecure-no-auth)
              Adds a node started with --join: as a learner first, then, once it has caught
              up, as a voter. LIST holds the running members' addresses.
          FastRaft.Sample --client --peers LIST --remove-node ID (--key-file PATH | --insecure-no-auth)
              Removes a node from the cluster. Its id is retired: a node comes back only under a
              new id (an empty data directory, --join, --add-node).
              Membership requests are signed with the cluster key (or FASTRAFT_CLUSTER_KEY).

        options:
          --duration S        seconds to run (--add-node: how long the new node may take to
                              catch up, default 60)
          --sessions N        concurrent client sessions, one order in flight each (default 32)
          --data DIR          (demo) keep each node's log in a write-ahead log under DIR;
                              (node) the node's write-ahead log; a restart resumes from it
          --key-file PATH     the cluster key, written by --gen-key
          --insecure-no-auth  run without a cluster key: anyone who can reach the ports can
                              take part in consensus and change the membership
          --transport udp|tcp (demo, node) how the nodes talk Raft to each other (default
                              udp; every node of a cluster must use the same). tcp needs a
                              cluster key and does not take --join or --add-node yet.
                              Clients always reach a node's client port over TCP.
          --no-failover       (demo) do not stop the leader half-way
          --seed N            seed of the order flow (default 1)
          --verbose           log the consensus core's info messages
          --otel-console      (demo, node) export FastRaft's meters with OpenTelemetry's
                              console exporter every 5 seconds (and once at exit)
        """;

    public SampleMode Mode { get; private set; } = SampleMode.Demo;

    /// <summary>How long to run (null: the mode's default).</summary>
    public TimeSpan? Duration { get; private set; }

    public int Sessions { get; private set; } = 32;

    /// <summary>Instruments of the multi-group mode (<c>--instruments</c>; 0: not that mode).</summary>
    public int Instruments { get; private set; }

    /// <summary>The most instruments <c>--instruments</c> takes.</summary>
    public const int MaxInstruments = 256;

    public ulong NodeId { get; private set; }

    public IReadOnlyList<PeerAddress> Peers { get; private set; } = [];

    public string? DataDirectory { get; private set; }

    public bool Failover { get; private set; } = true;

    public int Seed { get; private set; } = 1;

    public bool Verbose { get; private set; }

    /// <summary>Export the FastRaft meters with OpenTelemetry's console exporter (<c>--otel-console</c>).</summary>
    public bool OtelConsole { get; private set; }

    /// <summary>How the nodes talk Raft (<c>--transport</c>).</summary>
    public RaftTransportKind Transport { get; private set; } = RaftTransportKind.Udp;

    private bool _transportGiven;

    /// <summary>Where the cluster key is read from (<c>--key-file</c>).</summary>
    public string? KeyFile { get; private set; }

    /// <summary>Run without a cluster key (<c>--insecure-no-auth</c>).</summary>
    public bool InsecureNoAuthentication { get; private set; }

    /// <summary>Where <c>--gen-key</c> writes a new key.</summary>
    public string? GenerateKeyPath { get; private set; }

    /// <summary>How a node with an empty data directory starts (<c>--init</c>, <c>--join</c>).</summary>
    public NodeStart Start { get; private set; }

    /// <summary>The node <c>--add-node</c> adds.</summary>
    public PeerAddress? AddNode { get; private set; }

    /// <summary>The node <c>--remove-node</c> removes (0: none).</summary>
    public ulong RemoveNode { get; private set; }

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
                case "--instruments":
                    if (!int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out int instruments) || instruments is < 1 or > MaxInstruments)
                    {
                        error = $"--instruments needs a number from 1 to {MaxInstruments}";
                        return false;
                    }
                    options.Instruments = instruments;
                    break;
                case "--node":
                    if (!TryParseId(Value(), out ulong id))
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
                case "--key-file":
                    options.KeyFile = Value();
                    if (string.IsNullOrWhiteSpace(options.KeyFile))
                    {
                        error = "--key-file needs a path";
                        return false;
                    }
                    break;
                case "--gen-key":
                    options.GenerateKeyPath = Value();
                    if (string.IsNullOrWhiteSpace(options.GenerateKeyPath))
                    {
                        error = "--gen-key needs a path";
                        return false;
                    }
                    break;
                case "--insecure-no-auth":
                    options.InsecureNoAuthentication = true;
                    break;
                case "--init" or "--join":
                    NodeStart start = arg == "--init" ? NodeStart.Init : NodeStart.Join;
                    if (options.Start != NodeStart.Existing && options.Start != start)
                    {
                        error = "--init and --join exclude each other";
                        return false;
                    }
                    options.Start = start;
                    break;
                case "--add-node":
                    string? added = Value();
                    if (added is null || !PeerAddress.TryParse(added, out PeerAddress? node, out error))
                    {
                        error = "--add-node needs id=host:port[/clientPort]" + (error is null ? "" : $": {error}");
                        return false;
                    }
                    options.AddNode = node;
                    break;
                case "--remove-node":
                    if (!TryParseId(Value(), out ulong removed))
                    {
                        error = "--remove-node needs a positive node id";
                        return false;
                    }
                    options.RemoveNode = removed;
                    break;
                case "--transport":
                    switch (Value())
                    {
                        case "udp":
                            options.Transport = RaftTransportKind.Udp;
                            break;
                        case "tcp":
                            options.Transport = RaftTransportKind.Tcp;
                            break;
                        default:
                            error = "--transport needs udp or tcp";
                            return false;
                    }
                    options._transportGiven = true;
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
                case "--otel-console":
                    options.OtelConsole = true;
                    break;
                default:
                    error = $"unknown argument '{arg}' (see --help)";
                    return false;
            }
        }
        return options.Settle(client, out error);
    }

    private static bool TryParseId(string? text, out ulong id) =>
        ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id != 0;

    private bool Settle(bool client, out string? error)
    {
        error = null;
        if (GenerateKeyPath is not null)
        {
            if (client || NodeId != 0 || Peers.Count > 0 || KeyFile is not null || InsecureNoAuthentication)
            {
                error = "--gen-key stands alone: it writes a key file and exits";
                return false;
            }
            Mode = SampleMode.GenerateKey;
            return true;
        }
        if (client && NodeId != 0)
        {
            error = "--client and --node exclude each other";
            return false;
        }
        if (AddNode is not null && RemoveNode != 0)
        {
            error = "--add-node and --remove-node exclude each other: change one node at a time";
            return false;
        }
        if ((AddNode is not null || RemoveNode != 0) && !client)
        {
            error = "--add-node and --remove-node go with --client";
            return false;
        }
        if (Instruments > 0)
        {
            if (client || NodeId != 0 || Peers.Count > 0 || DataDirectory is not null || KeyFile is not null || InsecureNoAuthentication
                || Start != NodeStart.Existing || _transportGiven || !Failover)
            {
                error = "--instruments runs three nodes in this process over UDP with logs in memory: it takes only --duration, --sessions, --seed, --verbose and --otel-console";
                return false;
            }
            Mode = SampleMode.Instruments;
            return true;
        }
        Mode = client ? (AddNode is not null || RemoveNode != 0 ? SampleMode.Membership : SampleMode.Client)
            : NodeId != 0 ? SampleMode.Node
            : SampleMode.Demo;
        if (Mode != SampleMode.Demo && Peers.Count == 0)
        {
            error = "--peers is required with --node and --client";
            return false;
        }
        if (Mode == SampleMode.Demo && Peers.Count > 0)
        {
            error = "--peers needs --node or --client";
            return false;
        }
        if (Mode is SampleMode.Client or SampleMode.Membership && DataDirectory is not null)
        {
            error = "--data is for nodes";
            return false;
        }
        if (Start != NodeStart.Existing && Mode != SampleMode.Node)
        {
            error = "--init and --join are for nodes (--node)";
            return false;
        }
        if (KeyFile is not null && InsecureNoAuthentication)
        {
            error = "--key-file and --insecure-no-auth exclude each other";
            return false;
        }
        if ((KeyFile is not null || InsecureNoAuthentication) && Mode is not (SampleMode.Node or SampleMode.Membership))
        {
            error = Mode == SampleMode.Demo
                ? "the demo makes a random cluster key of its own: --key-file and --insecure-no-auth are for --node, --add-node and --remove-node"
                : "an order client needs no key: --key-file and --insecure-no-auth are for --node, --add-node and --remove-node";
            return false;
        }
        if (_transportGiven && Mode is not (SampleMode.Node or SampleMode.Demo))
        {
            error = "--transport is for --node and the demo (clients always use the nodes' TCP client ports)";
            return false;
        }
        if (Mode == SampleMode.Node && !Peers.Any(p => p.Id == NodeId))
        {
            error = $"node {NodeId} is not in --peers";
            return false;
        }
        if (AddNode is PeerAddress adding)
        {
            if (Peers.Any(p => p.Id == adding.Id))
            {
                error = $"node {adding.Id} is in --peers: --peers lists the running members, --add-node the node to add";
                return false;
            }
            if (!PeerAddress.TryCheckDistinct([.. Peers, adding], out error))
            {
                error = $"--add-node {adding.Id}: {error}";
                return false;
            }
        }
        return true;
    }
}
