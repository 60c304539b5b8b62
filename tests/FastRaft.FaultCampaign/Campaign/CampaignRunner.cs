using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using FastRaft.FaultCampaign.Hostile;

namespace FastRaft.FaultCampaign.Campaign;

/// <summary>
/// Runs one campaign: builds the namespaces, starts three keyed sample nodes with write-ahead
/// logs (<c>--init</c> on first start, plain restarts after a kill), a client under load and the
/// hostile sender, lets the <see cref="Nemesis"/> loose for the configured time, heals everything,
/// requires the cluster to make progress again, then stops the client, whose final check must
/// report identical replicas and every acknowledged order applied exactly once.
/// </summary>
internal sealed partial class CampaignRunner(CampaignOptions options, TextWriter? live = null)
{
    public const ulong Nodes = 3;
    private const int RaftPort = 7000;
    private const int ClientPort = 8000;

    /// <summary>Read by the sample as the key file's alternative; kept out of the children's environment.</summary>
    private const string KeyVariable = "FASTRAFT_CLUSTER_KEY";

    /// <summary>Sample's <c>RaftSettings.ClusterId</c> ("FRSAMPLE"): the forgeries claim the right cluster.</summary>
    private const ulong SampleClusterId = 0x46_52_53_41_4D_50_4C_45;

    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(30);

    private readonly Stopwatch _clock = new();
    private readonly List<string> _timeline = [];
    private readonly Dictionary<ulong, ClusterNode> _nodes = [];
    private readonly FaultCounts _faults = new();
    private NamespaceNetwork? _network;
    private NamespacedProcess? _client;
    private NamespacedProcess? _hostile;
    private string _peers = "";
    private string _keyFile = "";

    public IReadOnlyDictionary<ulong, ClusterNode> ClusterNodes => _nodes;

    public TimeSpan Elapsed => _clock.Elapsed;

    public CampaignResult Run()
    {
        _clock.Start();
        Environment.SetEnvironmentVariable(KeyVariable, null);
        using NamespaceNetwork? network = NamespaceNetwork.TryCreate((int)Nodes, out string reason);
        if (network is null)
        {
            return new CampaignResult(CampaignVerdict.NotRunnable, reason, _timeline, _faults, "");
        }
        if (NftFaults.Nft is null)
        {
            return new CampaignResult(CampaignVerdict.NotRunnable, "nft is not installed (apt-get install nftables)", _timeline, _faults, "");
        }
        _network = network;
        DirectoryInfo dir = Directory.CreateTempSubdirectory("fastraft-campaign-");
        try
        {
            Setup(dir.FullName);
            new Nemesis(this, options.Seed).Run(options.Duration);
            HealEverything();
            RequireProgressAndCatchUp();
            string details = FinishClient();
            return new CampaignResult(CampaignVerdict.Passed, $"{_faults} in {Seconds(options.Duration)}; the client's check passed", _timeline, _faults, details);
        }
        catch (CampaignFailure failure)
        {
            Note($"FAILED: {failure.Message}");
            return new CampaignResult(CampaignVerdict.Failed, failure.Message, _timeline, _faults, Describe());
        }
        finally
        {
            _hostile?.Dispose();
            _client?.Dispose();
            foreach (ClusterNode node in _nodes.Values)
            {
                node.Dispose();
            }
            foreach (ulong id in _nodes.Keys)
            {
                NftFaults.Heal(network.NodeNamespace(id));
            }
            try
            {
                dir.Delete(recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp directory left behind is not a result.
            }
        }
    }

    // ---- what the nemesis calls ----

    /// <summary>The leader according to the nodes' own status lines, or 0.</summary>
    public ulong Leader() => NodeStatus.CurrentLeader(_nodes.Values.Select(n => n.Status));

    public void KillHard(ulong id)
    {
        ClusterNode node = _nodes[id];
        node.Down = true;
        node.Process!.KillHard();
        _faults.Kills++;
        Note($"kill -9 node {id}{(id == Leader() ? " (leader)" : "")}");
    }

    /// <summary>Starts a killed node again on its data directory: neither --init nor --join.</summary>
    public void Restart(ulong id)
    {
        StartNode(id, init: false);
        Note($"node {id} restarted from its write-ahead log (start {_nodes[id].Starts})");
    }

    public void Pause(ulong id)
    {
        _nodes[id].Process!.Pause();
        _nodes[id].Paused = true;
        _faults.Pauses++;
        Note($"SIGSTOP node {id}");
    }

    public void Resume(ulong id)
    {
        _nodes[id].Process!.Resume();
        _nodes[id].Paused = false;
        Note($"SIGCONT node {id}");
    }

    public void Partition(ulong id)
    {
        NftFaults.Partition(_network!.NodeNamespace(id), NamespaceNetwork.NodeInterface);
        _faults.Partitions++;
        Note($"partition node {id} (all its traffic dropped)");
    }

    public void Lossy(ulong id, int percent)
    {
        NftFaults.Loss(_network!.NodeNamespace(id), NamespaceNetwork.NodeInterface, percent);
        _faults.LossyLinks++;
        Note($"{percent}% loss on node {id}'s link");
    }

    public void Heal(ulong id)
    {
        string ns = _network!.NodeNamespace(id);
        long dropped = NftFaults.Dropped(ns);
        NftFaults.Heal(ns);
        Note($"healed node {id}'s link ({dropped:N0} packets dropped)");
    }

    /// <summary>Waits <paramref name="time"/>, failing at once if a process died that should not have.</summary>
    public void Hold(TimeSpan time)
    {
        TimeSpan until = _clock.Elapsed + time;
        while (_clock.Elapsed < until)
        {
            CheckHealth();
            Thread.Sleep(20);
        }
    }

    public void Note(string what)
    {
        string line = string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,6:0.0}s] {what}");
        _timeline.Add(line);
        live?.WriteLine(line);
    }

    // ---- phases ----

    private void Setup(string dir)
    {
        _keyFile = Path.Combine(dir, "cluster.key");
        File.WriteAllText(_keyFile, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        _peers = string.Join(",", Ids().Select(id => $"{id}={NamespaceNetwork.NodeAddress(id)}:{RaftPort}/{ClientPort}"));
        foreach (ulong id in Ids())
        {
            _nodes[id] = new ClusterNode(id, _network!.NodeNamespace(id), Path.Combine(dir, $"n{id}"));
            StartNode(id, init: true);
        }
        Note($"3 nodes started with --init, a cluster key and write-ahead logs in namespaces {_network!.NodeNamespace(1)}..{Nodes}");
        Require(() => Leader() != 0, "a leader");
        // The client runs until the campaign stops it (SIGTERM), so slow phases cannot outlast it.
        _client = NamespacedProcess.StartSample("client", _network.RouterNamespace, _clock,
            "--client", "--peers", _peers, "--duration", "86400", "--sessions", Text(options.Sessions));
        Require(() => MaxCommit() > 0 && ClientAcked(), "orders acknowledged by the cluster");
        Note($"node {Leader()} leads; the client ({options.Sessions} sessions) gets answers");
        if (options.Hostile)
        {
            Dictionary<ulong, IPEndPoint> members = Ids().ToDictionary(id => id, id => new IPEndPoint(NamespaceNetwork.NodeAddress(id), RaftPort));
            IPEndPoint[] clients = [.. Ids().Select(id => new IPEndPoint(NamespaceNetwork.NodeAddress(id), ClientPort))];
            _hostile = NamespacedProcess.StartCampaignTool("hostile", _network.RouterNamespace, _clock, HostileOptions.Arguments(
                members, clients, SampleClusterId, options.Duration, options.Seed, options.HostileRate,
                burst: TimeSpan.FromSeconds(2), every: TimeSpan.FromSeconds(5)));
            Note("hostile sender started in the bridge's namespace");
        }
    }

    private void HealEverything()
    {
        foreach (ClusterNode node in _nodes.Values)
        {
            NftFaults.Heal(node.Namespace);
            if (node.Paused)
            {
                Resume(node.Id);
            }
            if (node.Down)
            {
                Restart(node.Id);
            }
        }
        if (_hostile is not null)
        {
            if (!_hostile.Process.WaitForExit(15_000))
            {
                throw new CampaignFailure("the hostile sender did not stop by itself");
            }
            _hostile.Process.WaitForExit();
            foreach (string line in _hostile.Lines)
            {
                _faults.HostileBursts += line.Contains(": burst ", StringComparison.Ordinal) ? 1 : 0;
            }
            Note($"hostile sender done: {_hostile.Lines.LastOrDefault() ?? "(no output)"}");
        }
        Note("faults over: every link healed, every node running");
    }

    private void RequireProgressAndCatchUp()
    {
        NoteDrops();
        ulong before = MaxCommit();
        Require(() => Leader() != 0 && MaxCommit() > before + 100, $"commits beyond {before} after healing");
        ulong target = MaxCommit();
        Require(() => _nodes.Values.All(n => n.Status is { } s && s.Applied >= target), $"every node applying up to {target}");
        Note($"node {Leader()} leads; all three nodes applied {target:N0} or more");
    }

    private string FinishClient()
    {
        _client!.Terminate();
        if (!_client.Process.WaitForExit(90_000))
        {
            throw new CampaignFailure("the client did not finish within 90 s of SIGTERM");
        }
        _client.Process.WaitForExit();
        string text = _client.Text;
        string summary = string.Join("\n", _client.Lines.SkipWhile(l => !l.StartsWith("Summary", StringComparison.Ordinal)));
        if (_client.Process.ExitCode != 0
            || !text.Contains("PASS: 3 replicas hold identical order books", StringComparison.Ordinal)
            || !text.Contains("(0 lost, 0 duplicated", StringComparison.Ordinal))
        {
            throw new CampaignFailure($"the client's final check did not pass (exit {_client.Process.ExitCode})");
        }
        Note("client: PASS, 3 identical replicas, 0 lost, 0 duplicated");
        return summary;
    }

    // ---- helpers ----

    /// <summary>
    /// Notes what each node's Raft port dropped since its last start (the hostile sender's
    /// datagrams end there) and, with the hostile sender on, requires that the nodes did see them
    /// and drop them: an attack that never arrived proves nothing.
    /// </summary>
    private void NoteDrops()
    {
        long dropped = 0;
        foreach (ClusterNode node in _nodes.Values)
        {
            Require(() => node.Status is not null, $"a status line from node {node.Id}");
            string line = node.Process!.Lines.LastOrDefault(l => l.Contains("raft drops ", StringComparison.Ordinal)) ?? "";
            Match m = RaftDrops().Match(line);
            if (m.Success)
            {
                dropped += long.Parse(m.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
                int raft = line.IndexOf("raft drops ", StringComparison.Ordinal);
                int client = line.IndexOf("client drops ", StringComparison.Ordinal);
                Note($"node {node.Id} (start {node.Starts}): {line[raft..]}; {line[client..(raft - 3)]}");
            }
        }
        if (options.Hostile && _faults.HostileBursts > 0 && dropped == 0)
        {
            throw new CampaignFailure("the nodes dropped no datagram at their Raft ports: the hostile traffic never arrived");
        }
    }

    [GeneratedRegex(@"raft drops ([\d,]+)")]
    private static partial Regex RaftDrops();

    private void StartNode(ulong id, bool init)
    {
        ClusterNode node = _nodes[id];
        List<string> args = ["--node", Text(id), "--peers", _peers, "--data", node.DataDirectory, "--key-file", _keyFile,
            "--duration", Text((long)options.Duration.TotalSeconds + 900)];
        if (init)
        {
            args.Add("--init");
        }
        node.Replace(NamespacedProcess.StartSample($"node {id}", node.Namespace, _clock, [.. args]));
        Require(() => node.Process!.Lines.Exists(l => l.StartsWith($"node {id}:", StringComparison.Ordinal)), $"node {id} started");
    }

    private void CheckHealth()
    {
        foreach (ClusterNode node in _nodes.Values)
        {
            if (node.CrashedUnexpectedly)
            {
                throw new CampaignFailure($"node {node.Id} exited by itself (exit code {node.Process!.Process.ExitCode})");
            }
        }
        if (_client is { HasExited: true })
        {
            throw new CampaignFailure($"the client exited early (exit code {_client.Process.ExitCode})");
        }
    }

    private void Require(Func<bool> condition, string what)
    {
        TimeSpan deadline = _clock.Elapsed + StepTimeout;
        while (!condition())
        {
            CheckHealth();
            if (_clock.Elapsed > deadline)
            {
                throw new CampaignFailure($"no {what} within {StepTimeout.TotalSeconds:0} s");
            }
            Thread.Sleep(50);
        }
    }

    private ulong MaxCommit()
    {
        ulong max = 0;
        foreach (ClusterNode node in _nodes.Values)
        {
            max = Math.Max(max, node.Status?.Commit ?? 0);
        }
        return max;
    }

    /// <summary>The client has printed a progress line with orders acknowledged.</summary>
    private bool ClientAcked() => _client!.Lines.Exists(l => l.Contains(" leader ", StringComparison.Ordinal) && !l.Contains("commit 0 ", StringComparison.Ordinal));

    private string Describe() =>
        string.Join("\n", _timeline)
        + string.Concat(_nodes.Values.Select(n => "\n" + n.History()))
        + (_client is null ? "" : $"\n--- client:\n{_client.Text}")
        + (_hostile is null ? "" : $"\n--- hostile:\n{_hostile.Text}");

    private static IEnumerable<ulong> Ids()
    {
        for (ulong id = 1; id <= Nodes; id++)
        {
            yield return id;
        }
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Text(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) + " s";
}

/// <summary>The campaign found a fault in the system under test (or could not drive it): ends the run as failed.</summary>
internal sealed class CampaignFailure(string message) : Exception(message);
