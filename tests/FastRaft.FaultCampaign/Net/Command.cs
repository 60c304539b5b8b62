using System.ComponentModel;
using System.Diagnostics;

namespace FastRaft.FaultCampaign;

/// <summary>The outcome of a finished command: exit code (-1 when it could not start or timed out) and its output.</summary>
internal readonly record struct CommandResult(int ExitCode, string Output, string Error)
{
    public bool Succeeded => ExitCode == 0;

    public override string ToString() => $"exit {ExitCode}: {Output.Trim()} {Error.Trim()}".Trim();
}

/// <summary>Runs short system commands (ip, nft, kill) to completion, each bounded in time.</summary>
internal static class Command
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>, optionally feeding <paramref name="input"/> on stdin.</summary>
    public static CommandResult Run(string file, IEnumerable<string> args, string? input = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        }
        catch (Win32Exception e)
        {
            return new CommandResult(-1, "", $"{file} could not be started: {e.Message}");
        }
        using (process)
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            if (input is not null)
            {
                process.StandardInput.Write(input);
                process.StandardInput.Close();
            }
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(Timeout);
                return new CommandResult(-1, "", $"{file} {string.Join(' ', args)} timed out after {Timeout.TotalSeconds} s");
            }
            bool read = Task.WaitAll([output, error], Timeout);
            return new CommandResult(process.ExitCode, read ? output.Result : "", read ? error.Result : "(output not read)");
        }
    }

    public static CommandResult Run(string file, params string[] args) => Run(file, (IEnumerable<string>)args);

    /// <summary>Where <paramref name="program"/> is on PATH (or in the sbin directories root uses), or null.</summary>
    public static string? Find(string program)
    {
        string path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (string dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]))
        {
            string candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
