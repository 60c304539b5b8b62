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

    private static List<string> RunAndKill(string directory, int seed, int afterReports, int extraDelayMs) =>
        CrashChildProcess.RunAndKill(["crash", directory, seed.ToString(System.Globalization.CultureInfo.InvariantCulture)], static line => line.StartsWith('D'), afterReports, extraDelayMs, ChildTimeout);
}
