using System.Diagnostics;
using System.Runtime.InteropServices;

namespace FastRaft.FaultCampaign;

/// <summary>
/// A .NET program (a FastRaft.Sample node or client, or this campaign's hostile sender) running
/// inside a network namespace through <c>ip netns exec</c>, which execs the program in place, so
/// this process's id is the program's. Every output line is kept with the time it arrived, on
/// the clock the caller passes in.
/// </summary>
internal sealed class NamespacedProcess : IDisposable
{
    private const int SigKill = 9;
    private const int SigTerm = 15;
    private const int SigCont = 18;
    private const int SigStop = 19;
    private readonly List<(TimeSpan At, string Line)> _lines = [];
    private readonly Stopwatch _clock;

    private NamespacedProcess(string name, Process process, Stopwatch clock)
    {
        Name = name;
        Process = process;
        _clock = clock;
    }

    /// <summary>For messages: "node 2", "client", "hostile".</summary>
    public string Name { get; }

    public Process Process { get; }

    public bool HasExited => Process.HasExited;

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

    /// <summary>Lines that arrived at or after <paramref name="since"/> on the caller's clock.</summary>
    public List<string> LinesSince(TimeSpan since)
    {
        lock (_lines)
        {
            return [.. _lines.Where(l => l.At >= since).Select(l => l.Line)];
        }
    }

    public string Text => string.Join('\n', Lines);

    /// <summary>Starts FastRaft.Sample (built next to this assembly) with <paramref name="args"/> in <paramref name="ns"/>.</summary>
    public static NamespacedProcess StartSample(string name, string ns, Stopwatch clock, params string[] args) =>
        Start(name, ns, clock, BesideThis("FastRaft.Sample.dll"), args);

    /// <summary>Starts this campaign program itself with <paramref name="args"/> in <paramref name="ns"/>.</summary>
    public static NamespacedProcess StartCampaignTool(string name, string ns, Stopwatch clock, params string[] args) =>
        Start(name, ns, clock, BesideThis("FastRaft.FaultCampaign.dll"), args);

    private static NamespacedProcess Start(string name, string ns, Stopwatch clock, string dll, string[] args)
    {
        var info = new ProcessStartInfo(Command.Find("ip") ?? "ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in (string[])["netns", "exec", ns, DotnetHost(), dll, .. args])
        {
            info.ArgumentList.Add(a);
        }
        var process = new Process { StartInfo = info };
        var started = new NamespacedProcess(name, process, clock);
        process.OutputDataReceived += (_, e) => started.Add(e.Data);
        process.ErrorDataReceived += (_, e) => started.Add(e.Data is null ? null : "stderr: " + e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Asks the program to stop as Ctrl+C would (SIGTERM): it ends its run, drains and reports.</summary>
    public void Terminate() => Signal(SigTerm, "TERM");

    /// <summary>kill -9: the process dies at once, with whatever it had not made durable.</summary>
    public void KillHard()
    {
        Signal(SigKill, "KILL");
        Process.WaitForExit(10_000);
    }

    /// <summary>SIGSTOP: the process freezes (no thread runs) until <see cref="Resume"/>.</summary>
    public void Pause() => Signal(SigStop, "STOP");

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => Signal(SigCont, "CONT");

    /// <summary>Ends the process if it still runs (SIGCONT first, then SIGKILL), waiting a bounded time.</summary>
    public void Dispose()
    {
        try
        {
            if (!Process.HasExited)
            {
                _ = Kill(Process.Id, SigCont);
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

    private void Signal(int signal, string name)
    {
        if (!Process.HasExited && Kill(Process.Id, signal) != 0 && !Process.HasExited)
        {
            throw new InvalidOperationException($"kill -{name} {Process.Id} ({Name}) failed: errno {Marshal.GetLastPInvokeError()}");
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
            _lines.Add((_clock.Elapsed, line));
        }
    }

    private static string BesideThis(string file)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, file);
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} is missing: the project that runs the campaign builds it", dll);
        }
        return dll;
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
