using System.Diagnostics;
using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;
using FastRaft.WalCrashChild;
using Xunit.Abstractions;

namespace FastRaft.Tests.Wal;

/// <summary>
/// A child process writes to a WAL under load and reports what is durable; it is killed with
/// SIGKILL at random moments, and after every kill the log must hold everything reported, in
/// order, with intact payloads.
/// </summary>
[Trait("Category", "Integration")]
public class WalCrashTests(ITestOutputHelper output)
{
    private const int Kills = 20;
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public void Every_entry_reported_durable_survives_SIGKILL()
    {
        using var dir = new TempWalDirectory();
        var rng = new Random(2024);
        var reported = new List<(ulong Index, ulong Term)>();
        ulong maxReported = 0;
        // The log must start after one of the last two compactions announced (the last one may
        // not have been made before the kill).
        ulong previousCompaction = 0, lastCompaction = 0;
        int torn = 0;

        for (int run = 0; run < Kills; run++)
        {
            // Kill after a random number of reported batches, plus a random few milliseconds.
            int afterReports = rng.Next(0, 25);
            int extraDelayMs = rng.Next(0, 20);
            List<string> lines = RunAndKill(dir.Path, seed: run, afterReports, extraDelayMs);
            foreach (string line in lines)
            {
                if (CrashProtocol.TryParseDurable(line, out ulong index, out ulong term))
                {
                    reported.Add((index, term));
                    maxReported = Math.Max(maxReported, index);
                }
                else if (CrashProtocol.TryParseCompacting(line, out ulong compactTo))
                {
                    (previousCompaction, lastCompaction) = (lastCompaction, compactTo);
                }
            }

            using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, CrashWriter.Options);
            torn += wal.Recovery.TornTail is null ? 0 : 1;
            Verify(wal, reported, maxReported);
            ulong dummy = wal.FirstIndex() - 1;
            Assert.True(dummy == lastCompaction || dummy == previousCompaction, $"the log starts after {dummy}, the child compacted to {previousCompaction} then {lastCompaction}");
            // A compaction that did not survive is not announced again.
            (previousCompaction, lastCompaction) = (dummy, dummy);
        }
        output.WriteLine($"{Kills} kills, {reported.Count} durable reports, last reported index {maxReported}, {torn} torn tails repaired");
        Assert.True(reported.Count >= Kills, "the child should report progress before most kills");
    }

    private static void Verify(WriteAheadLog wal, List<(ulong Index, ulong Term)> reported, ulong maxReported)
    {
        ulong first = wal.FirstIndex();
        ulong last = wal.LastIndex();
        Assert.True(last >= maxReported, $"entry {maxReported} was reported durable but the log ends at {last}");
        foreach ((ulong index, ulong term) in reported)
        {
            if (index + 1 >= first)
            {
                Assert.Equal(StorageStatus.Ok, wal.Term(index, out ulong got));
                Assert.True(got == term, $"entry {index} was reported durable at term {term}, the log has term {got}");
            }
        }
        Assert.Equal(StorageStatus.Ok, wal.InitialState(out HardState hs, out _));
        Assert.True(hs.Commit <= last, $"commit {hs.Commit} is past the last index {last}");
        if (last >= first)
        {
            var dest = new EntryBuffer();
            Assert.Equal(StorageStatus.Ok, wal.Entries(first, last + 1, ulong.MaxValue, dest));
            Assert.Equal((int)(last - first + 1), dest.Count);
            ulong previousTerm = 0;
            for (int k = 0; k < dest.Count; k++)
            {
                Entry e = dest[k];
                Assert.Equal(first + (ulong)k, e.Index);
                Assert.True(e.Term >= previousTerm, $"terms go backwards at {e.Index}");
                Assert.True(CrashPayload.Matches(e.Index, e.Term, e.Data.Span), $"payload of entry {e.Index} is damaged");
                previousTerm = e.Term;
            }
        }
        Assert.Equal(StorageStatus.Ok, wal.Snapshot(out Snapshot snap));
        if (!snap.IsEmpty)
        {
            Assert.True(snap.Metadata.Index <= last);
            Assert.Equal(snap.Metadata.Index, BitConverter.ToUInt64(snap.Data.Span));
        }
    }

    private List<string> RunAndKill(string directory, int seed, int afterReports, int extraDelayMs)
    {
        var lines = new List<string>();
        int reports = 0;
        using var enough = new ManualResetEventSlim();
        using var process = new Process { StartInfo = ChildStartInfo(directory, seed) };
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
                if (e.Data.StartsWith('D') && ++reports >= afterReports)
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
        bool reached = enough.Wait(ChildTimeout);
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
        Assert.True(process.WaitForExit(ChildTimeout), "the child did not die");
        process.WaitForExit();
        lock (errors)
        {
            Assert.False(exitedEarly, $"the child exited on its own with {process.ExitCode}: {errors}");
            Assert.True(reached, $"the child made no progress within {ChildTimeout}: {errors}");
        }
        lock (lines)
        {
            return [.. lines];
        }
    }

    private static ProcessStartInfo ChildStartInfo(string directory, int seed)
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
        info.ArgumentList.Add("crash");
        info.ArgumentList.Add(directory);
        info.ArgumentList.Add(seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
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
