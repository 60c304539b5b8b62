using System.Diagnostics;

namespace FastRaft.Tests.Wal;

/// <summary>
/// Runs FastRaft.WalCrashChild with the given arguments, collects what it prints, and kills it
/// with SIGKILL once it printed <c>afterReports</c> report lines (plus a few milliseconds).
/// </summary>
internal static class CrashChildProcess
{
    public static List<string> RunAndKill(string[] args, Func<string, bool> isReport, int afterReports, int extraDelayMs, TimeSpan timeout)
    {
        var lines = new List<string>();
        int reports = 0;
        using var enough = new ManualResetEventSlim();
        using var process = new Process { StartInfo = ChildStartInfo(args) };
        var errors = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            lock (lines)
            {
                lines.Add(e.Data);
                if (isReport(e.Data) && ++reports >= afterReports)
                {
                    enough.Set();
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (errors)
                {
                    errors.AppendLine(e.Data);
                }
            }
        };
        Assert.True(process.Start());
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (afterReports == 0)
        {
            enough.Set();
        }
        bool reached = enough.Wait(timeout);
        bool exitedEarly = process.HasExited;
        if (reached && extraDelayMs > 0)
        {
            Thread.Sleep(extraDelayMs);
        }
        try
        {
            process.Kill();
        }
        catch (InvalidOperationException)
        {
            // It had already exited; the assertion below says why.
        }
        Assert.True(process.WaitForExit(timeout), "the child did not die");
        process.WaitForExit();
        lock (errors)
        {
            Assert.False(exitedEarly, $"the child exited on its own with {process.ExitCode}: {errors}");
            Assert.True(reached, $"the child made no progress within {timeout}: {errors}");
        }
        lock (lines)
        {
            return [.. lines];
        }
    }

    private static ProcessStartInfo ChildStartInfo(string[] args)
    {
        string child = Path.Combine(AppContext.BaseDirectory, "FastRaft.WalCrashChild.dll");
        Assert.True(File.Exists(child), $"{child} is missing: the test project builds it");
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(child);
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }
        return info;
    }

    /// <summary>The dotnet host running this test (the SDK sets DOTNET_HOST_PATH), else dotnet from the PATH.</summary>
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
