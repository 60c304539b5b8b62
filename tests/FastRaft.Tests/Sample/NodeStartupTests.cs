using System.Net;
using System.Net.Sockets;
using FastRaft.Sample;
using FastRaft.Sample.Cli;

namespace FastRaft.Tests.Sample;

/// <summary>
/// What a node checks before it runs: its key, its storage's identity, its ports. Every refusal
/// is one line on the error output naming what is wrong, with exit code 2 (1 for a port).
/// The nodes here are one-node clusters run in-process for a moment.
/// </summary>
public sealed class NodeStartupTests : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);
    private static readonly string Key = new('a', 64);

    private readonly string _dir = Directory.CreateTempSubdirectory("fastraft-node-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Exit, string Output, string Errors)> RunAsync(string? environmentKey, params string[] args)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        int exit = await SampleApp.RunAsync(args, output, errors, environmentKey).WaitAsync(RunTimeout);
        return (exit, output.ToString(), errors.ToString());
    }

    private static string[] Node(int raftPort, int clientPort, params string[] more) =>
        ["--node", "1", "--peers", $"1=127.0.0.1:{raftPort}/{clientPort}", "--duration", "0.6", .. more];

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void AssertRefused(int expectedExit, (int Exit, string Output, string Errors) run, string message)
    {
        Assert.True(run.Exit == expectedExit, $"exit {run.Exit}\n{run.Output}\n{run.Errors}");
        Assert.Equal([$"error: {message}"], Lines(run.Errors));
        Assert.DoesNotContain("   at ", run.Errors);
    }

    [Fact]
    public async Task A_node_without_a_key_is_refused_and_an_insecure_one_says_so_at_start()
    {
        int[] p = FreePorts.ForNodes(2);
        AssertRefused(2, await RunAsync(null, Node(p[0], p[1], "--init")),
            "no cluster key: pass --key-file PATH (make one with --gen-key PATH) or set FASTRAFT_CLUSTER_KEY; --insecure-no-auth runs without authentication");

        (int exit, string output, string errors) = await RunAsync(null, Node(p[0], p[1], "--init", "--insecure-no-auth"));
        Assert.True(exit == 0, output + errors);
        string warning = Assert.Single(Lines(errors), l => l.Contains("INSECURE", StringComparison.Ordinal));
        Assert.StartsWith("WARNING: INSECURE: node 1 runs without a cluster key (--insecure-no-auth)", warning);
        Assert.Contains("cluster key: none (--insecure-no-auth)", output);

        // A key in the environment is refused next to --insecure-no-auth, and used without it.
        AssertRefused(2, await RunAsync(Key, Node(p[0], p[1], "--init", "--insecure-no-auth")),
            "FASTRAFT_CLUSTER_KEY is set and --insecure-no-auth is given: unset one of them");
        (exit, output, errors) = await RunAsync(Key, Node(p[0], p[1], "--init"));
        Assert.True(exit == 0, output + errors);
        Assert.Contains("cluster key: environment variable FASTRAFT_CLUSTER_KEY", output);
        Assert.DoesNotContain("INSECURE", errors);

        // Over TCP too, the explicit opt-out runs without authentication and says so.
        (exit, output, errors) = await RunAsync(null, Node(p[0], p[1], "--init", "--insecure-no-auth", "--transport", "tcp"));
        Assert.True(exit == 0, output + errors);
        Assert.Contains("INSECURE", errors);
    }

    [Fact]
    public async Task A_single_node_over_tcp_starts_elects_itself_and_stops_cleanly()
    {
        int[] p = FreePorts.ForNodes(2);
        (int exit, string output, string errors) = await RunAsync(Key, Node(p[0], p[1], "--init", "--transport", "tcp"));
        Assert.True(exit == 0, output + errors);
        Assert.Contains($"raft 127.0.0.1:{p[0]} (tcp)", output);
        Assert.Contains("stopped: applied", output);
    }

    [Fact]
    public async Task A_bad_key_file_or_key_text_is_a_one_line_error_naming_it()
    {
        int[] p = FreePorts.ForNodes(2);
        string file = Path.Combine(_dir, "bad.key");
        File.WriteAllText(file, "not a key\n");
        AssertRefused(2, await RunAsync(null, Node(p[0], p[1], "--init", "--key-file", file)),
            $"key file {file}: character 1 is not a hex digit; expected 64 hex characters (0-9, a-f)");
        File.WriteAllText(file, "abcd ef\n");
        AssertRefused(2, await RunAsync(null, Node(p[0], p[1], "--init", "--key-file", file)),
            $"key file {file}: whitespace at character 5 inside the key; expected 64 hex characters on one line");
        AssertRefused(2, await RunAsync("abc", Node(p[0], p[1], "--init")),
            "FASTRAFT_CLUSTER_KEY: 3 hex characters where a 32-byte key has 64");
    }

    [Fact]
    public async Task Gen_key_writes_a_key_nodes_accept_and_refuses_to_overwrite_it()
    {
        int[] p = FreePorts.ForNodes(2);
        string file = Path.Combine(_dir, "cluster.key");
        (int exit, string output, string errors) = await RunAsync(null, "--gen-key", file);
        Assert.True(exit == 0, output + errors);
        Assert.StartsWith($"wrote a new cluster key to {file}", output);
        string key = File.ReadAllText(file);

        AssertRefused(2, await RunAsync(null, "--gen-key", file),
            $"{file} exists: not overwritten (a key in use must not be replaced by accident; delete the file first to make a new key)");
        Assert.Equal(key, File.ReadAllText(file));

        (exit, output, errors) = await RunAsync(null, Node(p[0], p[1], "--init", "--key-file", file));
        Assert.True(exit == 0, output + errors);
        Assert.Contains($"cluster key: key file {file}", output);
        Assert.DoesNotContain("warning", errors);
    }

    [Fact]
    public async Task A_node_whose_data_directory_is_empty_or_gone_starts_only_with_init_or_join()
    {
        int[] p = FreePorts.ForNodes(2);
        string data = Path.Combine(_dir, "n1");
        string[] keyed = ["--key-file", WriteKey()];

        AssertRefused(2, await RunAsync(null, Node(p[0], p[1], ["--data", data, .. keyed])),
            $"data directory {data} is empty: pass --init to bootstrap a new cluster, or --join to join a running one; a node that lost its data must not rejoin under its old id");
        Assert.False(Directory.Exists(data), "a refused start creates nothing");

        (int exit, string output, string errors) = await RunAsync(null, Node(p[0], p[1], ["--data", data, "--init", .. keyed]));
        Assert.True(exit == 0, output + errors);
        Assert.Contains("bootstrapping a new cluster of 1 (--init)", output);
        ulong firstApplied = Applied(output);

        // A restart needs no flag, and is told when it gives one.
        (exit, output, errors) = await RunAsync(null, Node(p[0], p[1], ["--data", data, .. keyed]));
        Assert.True(exit == 0, output + errors);
        Assert.Contains("resuming its log", output);
        (exit, output, errors) = await RunAsync(null, Node(p[0], p[1], ["--data", data, "--init", .. keyed]));
        Assert.True(exit == 0, output + errors);
        Assert.Contains($"data directory {Path.GetFullPath(data)} holds this node's log: it is used, and --init is ignored", output);
        Assert.Contains("resuming its log", output);
        Assert.True(Applied(output) >= firstApplied);

        // The operator's report: the data directory is deleted and the node restarted as before.
        Directory.Delete(data, recursive: true);
        AssertRefused(2, await RunAsync(null, Node(p[0], p[1], ["--data", data, .. keyed])),
            $"data directory {data} is empty: pass --init to bootstrap a new cluster, or --join to join a running one; a node that lost its data must not rejoin under its old id");
        Directory.CreateDirectory(data);
        AssertRefused(2, await RunAsync(null, Node(p[0], p[1], ["--data", data, .. keyed])),
            $"data directory {data} is empty: pass --init to bootstrap a new cluster, or --join to join a running one; a node that lost its data must not rejoin under its old id");

        // A node in memory has no identity to resume: it is told so rather than started.
        AssertRefused(2, await RunAsync(null, Node(p[0], p[1], keyed)),
            "without --data a node keeps its log in memory and starts empty every time: pass --init to bootstrap a new cluster or --join to be added to a running one, "
            + "and never restart it under the same id (use --data DIR for a node that can restart)");
    }

    [Fact]
    public async Task A_joining_node_waits_with_no_configuration()
    {
        int[] p = FreePorts.ForNodes(4);
        (int exit, string output, string errors) = await RunAsync(null,
            "--node", "2", "--peers", $"1=127.0.0.1:{p[0]}/{p[1]},2=127.0.0.1:{p[2]}/{p[3]}", "--join", "--key-file", WriteKey(), "--duration", "0.6");
        Assert.True(exit == 0, output + errors);
        Assert.Contains("joining: waiting to be added with --add-node (--join)", output);
        // Nobody added it: it never campaigned nor applied anything.
        Assert.Matches(@"node 2 follower\s+leader none\s+term 0\s+commit\s+0\s+applied\s+0 \|", output);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_port_in_use_is_a_one_line_error_naming_the_address_and_which_port(bool raftPort)
    {
        int[] p = FreePorts.ForNodes(2);
        // The Raft port is UDP (the default transport); the client gateway is TCP.
        using var squatter = raftPort
            ? new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
            : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, p[raftPort ? 0 : 1]));
        if (!raftPort)
        {
            squatter.Listen();
        }
        string what = raftPort ? "Raft" : "clients";
        AssertRefused(1, await RunAsync(null, Node(p[0], p[1], "--init", "--key-file", WriteKey())),
            $"cannot listen for {what} on 127.0.0.1:{p[raftPort ? 0 : 1]}: {(raftPort ? "UDP" : "TCP")} port {p[raftPort ? 0 : 1]} is already in use (another node or program has it)");
    }

    [Fact]
    public async Task A_tcp_raft_port_in_use_is_a_one_line_error_naming_it()
    {
        int[] p = FreePorts.ForNodes(2);
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, p[0]));
        squatter.Listen();
        AssertRefused(1, await RunAsync(null, Node(p[0], p[1], "--init", "--key-file", WriteKey(), "--transport", "tcp")),
            $"cannot listen for Raft on 127.0.0.1:{p[0]}: TCP port {p[0]} is already in use (another node or program has it)");
    }

    private string WriteKey()
    {
        string file = Path.Combine(_dir, $"k{Guid.NewGuid():N}.key");
        Assert.True(ClusterKeyFile.TryCreate(file, out string error), error);
        return file;
    }

    private static ulong Applied(string output)
    {
        System.Text.RegularExpressions.Match m = System.Text.RegularExpressions.Regex.Match(output, @"stopped: applied ([\d,]+)");
        Assert.True(m.Success, output);
        return ulong.Parse(m.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
    }
}
