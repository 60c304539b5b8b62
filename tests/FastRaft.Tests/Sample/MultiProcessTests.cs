using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

using FastRaft.Tests.Udp;

namespace FastRaft.Tests.Sample;

/// <summary>
/// The sample as a user runs it in several terminals: three <c>--node</c> processes and a
/// <c>--client</c> on loopback; the leader's process is killed while the client runs.
/// </summary>
public class MultiProcessTests
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void Killing_the_leader_process_loses_and_duplicates_no_order_of_a_running_client()
    {
        int[] ports = FreeUdpPorts(6);
        string peers = string.Join(",", Enumerable.Range(0, 3).Select(i => $"{i + 1}=127.0.0.1:{ports[2 * i]}/{ports[2 * i + 1]}"));
        var nodes = new Dictionary<ulong, Child>();
        Child? client = null;
        try
        {
            for (ulong id = 1; id <= 3; id++)
            {
                // --duration bounds a node that outlives the test by accident.
                nodes[id] = Child.Start("--node", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--peers", peers, "--duration", "90");
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

    private static string Describe(Dictionary<ulong, Child> nodes, Child? client) =>
        string.Join("\n", nodes.Select(n => $"--- node {n.Key}:\n{n.Value.Text}")) + (client is null ? "" : $"\n--- client:\n{client.Text}");

    /// <summary>Ports free for UDP on 127.0.0.1 right now (bound together, then released).</summary>
    private static int[] FreeUdpPorts(int count)
    {
        var sockets = new List<Socket>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                sockets.Add(s);
                s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            }
            return [.. sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port)];
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    /// <summary>A sample process with its output collected line by line.</summary>
    private sealed class Child
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
