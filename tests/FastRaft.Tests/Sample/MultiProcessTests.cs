using System.Diagnostics;
using FastRaft.Tests.Udp;

namespace FastRaft.Tests.Sample;

/// <summary>
/// The sample as a user runs it in several terminals: a key made once, three <c>--node</c>
/// processes started with <c>--init</c>, and a <c>--client</c> on loopback; the leader's process
/// is killed while the client runs. And a fourth node started with <c>--join</c> and added by
/// <c>--client --add-node</c>.
/// </summary>
[Trait("Category", "Integration")]
public sealed class MultiProcessTests : IDisposable
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("fastraft-processes-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Makes the cluster key the way the README says: <c>--gen-key PATH</c>, once.</summary>
    private string GenerateKey()
    {
        string key = Path.Combine(_dir, "cluster.key");
        using Child gen = Child.Start("--gen-key", key);
        Assert.True(gen.Process.WaitForExit(30_000), gen.Text);
        gen.Process.WaitForExit();
        Assert.True(gen.Process.ExitCode == 0, gen.Text);
        return key;
    }

    private static string Id(ulong id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Killing_the_leader_process_loses_and_duplicates_no_order_of_a_running_client()
    {
        int[] ports = FreePorts.ForNodes(6);
        string peers = string.Join(",", Enumerable.Range(0, 3).Select(i => $"{i + 1}=127.0.0.1:{ports[2 * i]}/{ports[2 * i + 1]}"));
        string key = GenerateKey();
        var nodes = new Dictionary<ulong, Child>();
        Child? client = null;
        try
        {
            for (ulong id = 1; id <= 3; id++)
            {
                // --duration bounds a node that outlives the test by accident.
                nodes[id] = Child.Start("--node", Id(id), "--peers", peers, "--init", "--key-file", key, "--duration", "90");
            }
            Assert.True(Wait.Until(() => nodes.Values.All(n => n.Lines.Count > 0), StepTimeout), Describe(nodes, client));

            client = Child.Start("--client", "--peers", peers, "--duration", "10", "--sessions", "8");
            ulong leader = 0;
            Assert.True(Wait.Until(() =>
            {
                leader = SampleOutput.Progress(client.Lines).LastOrDefault(p => p.Commit > 0).Leader;
                return leader != 0;
            }, StepTimeout), Describe(nodes, client));
            int linesBeforeKill = client.Lines.Count;
            nodes[leader].Kill();

            Assert.True(client.Process.WaitForExit(60_000), Describe(nodes, client));
            client.Process.WaitForExit();
            string output = string.Join('\n', client.Lines);
            Assert.True(client.Process.ExitCode == 0, Describe(nodes, client));
            Assert.Contains("PASS: 2 replicas hold identical order books", output);
            Assert.Contains("(0 lost, 0 duplicated", output);
            Assert.Contains($"unreachable          node {leader} did not answer", output);
            // The client went on with a new leader after the kill.
            var after = SampleOutput.Progress(client.Lines.Skip(linesBeforeKill));
            Assert.Contains(after, p => p.Leader != 0 && p.Leader != leader);
            Assert.True(after.Max(p => p.Commit) > SampleOutput.Progress(client.Lines.Take(linesBeforeKill)).Max(p => p.Commit), output);
        }
        finally
        {
            client?.Kill();
            foreach (Child n in nodes.Values)
            {
                n.Kill();
            }
        }
    }

    [Fact]
    public void A_fourth_node_started_with_join_and_added_by_the_client_catches_up_and_holds_the_same_books()
    {
        int[] ports = FreePorts.ForNodes(8);
        string Peer(int i) => $"{i + 1}=127.0.0.1:{ports[2 * i]}/{ports[2 * i + 1]}";
        string three = string.Join(",", Enumerable.Range(0, 3).Select(Peer));
        string four = $"{three},{Peer(3)}";
        string key = GenerateKey();
        var nodes = new Dictionary<ulong, Child>();
        var others = new List<Child>();
        try
        {
            for (ulong id = 1; id <= 3; id++)
            {
                nodes[id] = Child.Start("--node", Id(id), "--peers", three, "--data", Path.Combine(_dir, $"n{id}"), "--init", "--key-file", key, "--duration", "120");
            }
            nodes[4] = Child.Start("--node", "4", "--peers", four, "--data", Path.Combine(_dir, "n4"), "--join", "--key-file", key, "--duration", "120");
            Assert.True(Wait.Until(() => nodes.Values.All(n => n.Lines.Exists(l => l.StartsWith("node ", StringComparison.Ordinal))), StepTimeout), Describe(nodes, null));
            Assert.Contains(nodes[4].Lines, l => l.Contains("joining: waiting to be added", StringComparison.Ordinal));

            string before = RunToEnd(others, "--client", "--peers", three, "--duration", "2", "--sessions", "4");
            Assert.Contains("PASS: 3 replicas hold identical order books", before);

            string added = RunToEnd(others, "--client", "--peers", three, "--add-node", Peer(3), "--key-file", key);
            Assert.Contains("node 4 is a learner since index", added);
            Assert.Contains("node 4 caught up", added);
            Assert.Matches(@"node 4 is a voter since index \d+ \(voters 1,2,3,4\)", added);

            string after = RunToEnd(others, "--client", "--peers", four, "--duration", "2", "--sessions", "4");
            Assert.Contains("PASS: 4 replicas hold identical order books", after);
            Assert.Contains("(0 lost, 0 duplicated", after);
        }
        finally
        {
            others.ForEach(c => c.Dispose());
            foreach (Child n in nodes.Values)
            {
                n.Dispose();
            }
        }

        string RunToEnd(List<Child> started, params string[] args)
        {
            Child c = Child.Start(args);
            started.Add(c);
            Assert.True(c.Process.WaitForExit(90_000), $"{string.Join(' ', args)} did not finish\n{c.Text}\n{Describe(nodes, null)}");
            c.Process.WaitForExit();
            Assert.True(c.Process.ExitCode == 0, $"{string.Join(' ', args)} exited with {c.Process.ExitCode}\n{c.Text}\n{Describe(nodes, null)}");
            return c.Text;
        }
    }

    private static string Describe(Dictionary<ulong, Child> nodes, Child? client) =>
        string.Join("\n", nodes.Select(n => $"--- node {n.Key}:\n{n.Value.Text}")) + (client is null ? "" : $"\n--- client:\n{client.Text}");

    /// <summary>A sample process with its output collected line by line.</summary>
    internal sealed class Child : IDisposable
    {
        private readonly List<string> _lines = [];

        private Child(Process process) => Process = process;

        public Process Process { get; }

        public List<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public string Text => string.Join('\n', Lines);

        public static Child Start(params string[] args)
        {
            string dll = Path.Combine(AppContext.BaseDirectory, "FastRaft.Sample.dll");
            Assert.True(File.Exists(dll), $"{dll} is missing: the test project builds it");
            var info = new ProcessStartInfo(DotnetHost())
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(dll);
            foreach (string a in args)
            {
                info.ArgumentList.Add(a);
            }
            var process = new Process { StartInfo = info };
            var child = new Child(process);
            process.OutputDataReceived += (_, e) => child.Add(e.Data);
            process.ErrorDataReceived += (_, e) => child.Add(e.Data is null ? null : "stderr: " + e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return child;
        }

        public void Dispose()
        {
            Kill();
            Process.Dispose();
        }

        public void Kill()
        {
            try
            {
                if (!Process.HasExited)
                {
                    Process.Kill(entireProcessTree: true);
                }
                Process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }

        private void Add(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (_lines)
            {
                _lines.Add(line);
            }
        }

        private static string DotnetHost()
        {
            string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(host) && File.Exists(host))
            {
                return host;
            }
            string? self = Environment.ProcessPath;
            return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        }
    }
}
