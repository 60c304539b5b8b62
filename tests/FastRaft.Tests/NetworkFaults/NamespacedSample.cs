using System.Diagnostics;
using System.Runtime.InteropServices;
using FastRaft.Sample.Cli;

namespace FastRaft.Tests.NetworkFaults;

/// <summary>
/// A FastRaft.Sample process (node or client) running inside a network namespace through
/// <c>ip netns exec</c>, which execs the program in place, so this process's id is the sample's.
/// Every output line is kept with the time it arrived, on the clock the test passes in. Nodes
/// are started as a new cluster (<c>--init</c>) under a cluster key shared by every node this
/// test process starts.
/// </summary>
internal sealed class NamespacedSample : IDisposable
{
    private const int SigTerm = 15;

    /// <summary>One key file per test process (made with the sample's own generator), removed when the process exits.</summary>
    private static readonly Lazy<string> KeyFile = new(() =>
    {
        string dir = Directory.CreateTempSubdirectory("fastraft-netns-key-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(dir, recursive: true);
        string path = Path.Combine(dir, "cluster.key");
        if (!ClusterKeyFile.TryCreate(path, out string error))
        {
            throw new InvalidOperationException(error);
        }
        return path;
    });

    private readonly List<(TimeSpan At, string Line)> _lines = [];
    private readonly Stopwatch _clock;

    private NamespacedSample(string name, Process process, Stopwatch clock)
    {
        Name = name;
        Process = process;
        _clock = clock;
    }

    /// <summary>For messages: "node 2", "client".</summary>
    public string Name { get; }

    public Process Process { get; }

    /// <summary>Lines so far (a copy).</summary>
    public List<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines.Select(l => l.Line)];
            }
        }
    }

    /// <summary>Lines that arrived at or after <paramref name="since"/> on the test's clock.</summary>
    public List<string> LinesSince(TimeSpan since)
    {
        lock (_lines)
        {
            return [.. _lines.Where(l => l.At >= since).Select(l => l.Line)];
        }
    }

    public string Text => string.Join('\n', Lines);

    public static NamespacedSample Start(string name, string ns, Stopwatch clock, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "FastRaft.Sample.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the test project builds it");
        var info = new ProcessStartInfo(Command.Find("ip") ?? "ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] node = args.Contains("--node") ? ["--init", "--key-file", KeyFile.Value] : [];
        foreach (string a in (string[])["netns", "exec", ns, DotnetHost(), dll, .. args, .. node])
        {
            info.ArgumentList.Add(a);
        }
        var process = new Process { StartInfo = info };
        var sample = new NamespacedSample(name, process, clock);
        process.OutputDataReceived += (_, e) => sample.Add(e.Data);
        process.ErrorDataReceived += (_, e) => sample.Add(e.Data is null ? null : "stderr: " + e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return sample;
    }

    /// <summary>Asks the sample to stop as Ctrl+C would (SIGTERM): it ends its run, drains and reports.</summary>
    public void Terminate()
    {
        if (!Process.HasExited && Kill(Process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill -TERM {Process.Id} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Ends the process if it still runs (SIGKILL), waiting a bounded time.</summary>
    public void Dispose()
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
            // Never started or already reaped.
        }
        Process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lines)
        {
            _lines.Add((_clock.Elapsed, line));
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
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : Command.Find("dotnet") ?? "dotnet";
    }

    // Plain int arguments need no marshalling; LibraryImport would need unsafe code enabled.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
