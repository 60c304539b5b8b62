using System.Globalization;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;
using FastRaft.WalCrashChild;
using Xunit.Abstractions;

namespace FastRaft.Tests.Wal;

/// <summary>
/// A node with hundreds of groups on one shared log, killed with SIGKILL mid-writes again and
/// again: after every kill, every group recovers every entry of every cycle the child reported
/// synced, with intact payloads, and nothing the child cannot have written.
/// </summary>
[Trait("Category", "Integration")]
public class SharedWalCrashTests(ITestOutputHelper output)
{
    private const int Groups = 300;
    private const int Kills = 5;
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void Every_group_recovers_every_write_synced_before_SIGKILL()
    {
        using var dir = new TempWalDirectory(memoryBacked: true);
        var rng = new Random(1414);
        var lastAtStart = new ulong[Groups + 1];
        int torn = 0;

        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int run = 0; run < Kills; run++)
        {
            ulong term = (ulong)run + 1;
            int afterReports = rng.Next(4, 12);
            List<string> lines = CrashChildProcess.RunAndKill(
                ["shared-crash", dir.Path, Str(run), Str(Groups), term.ToString(CultureInfo.InvariantCulture)],
                static line => line.StartsWith('S'), afterReports, rng.Next(0, 15), ChildTimeout);
            int synced = 0;
            foreach (string line in lines)
            {
                if (SharedCrashWriter.TryParseSynced(line, out int cycle))
                {
                    Assert.Equal(synced + 1, cycle);
                    synced = cycle;
                }
            }
            Assert.True(synced >= afterReports);
            output.WriteLine($"run {run}: killed after {synced} synced cycles at {clock.ElapsedMilliseconds} ms");

            using SharedWriteAheadLog log = SharedWriteAheadLog.Open(dir.Path, SharedCrashWriter.Options);
            torn += log.Recovery.TornTail is null ? 0 : 1;
            Assert.Equal(Groups, log.RecoveredGroups.Count);
            for (ulong g = 1; g <= Groups; g++)
            {
                ulong durable = lastAtStart[g], possible = lastAtStart[g];
                for (int c = 1; c <= synced + 1; c++)
                {
                    possible += (ulong)SharedCrashWriter.BatchSize(g, c, run);
                    durable += c <= synced ? (ulong)SharedCrashWriter.BatchSize(g, c, run) : 0;
                }
                WalGroup group = log.OpenGroup(g);
                ulong last = group.LastIndex();
                Assert.True(last >= durable, $"group {g}: cycles up to {synced} were synced through entry {durable}, but the log ends at {last}");
                Assert.True(last <= possible, $"group {g}: the log ends at {last}, past anything the child wrote ({possible})");
                Verify(group, g, term);
                lastAtStart[g] = last;
            }
            output.WriteLine($"run {run}: {Groups} groups verified at {clock.ElapsedMilliseconds} ms");
        }

        using SharedWriteAheadLog final = SharedWriteAheadLog.Open(dir.Path, SharedCrashWriter.Options);
        int compacted = 0;
        for (ulong g = 1; g <= Groups; g++)
        {
            compacted += final.OpenGroup(g).FirstIndex() > 1 ? 1 : 0;
        }
        output.WriteLine($"{Kills} kills of a {Groups}-group process, {torn} torn tails repaired, {compacted} groups compacted, {final.Recovery.SegmentCount} segment(s) left");
        Assert.True(compacted >= Groups / 2, $"{compacted} groups compacted");
    }

    private static void Verify(WalGroup group, ulong g, ulong maxTerm)
    {
        ulong first = group.FirstIndex();
        ulong last = group.LastIndex();
        Assert.Equal(StorageStatus.Ok, group.InitialState(out HardState hs, out _));
        Assert.True(hs.Commit <= last, $"group {g}: commit {hs.Commit} is past the last index {last}");
        if (last < first)
        {
            return;
        }
        var dest = new EntryBuffer();
        Assert.Equal(StorageStatus.Ok, group.Entries(first, last + 1, ulong.MaxValue, dest));
        Assert.Equal((int)(last - first + 1), dest.Count);
        ulong previousTerm = 0;
        for (int k = 0; k < dest.Count; k++)
        {
            Entry e = dest[k];
            Assert.Equal(first + (ulong)k, e.Index);
            Assert.True(e.Term >= previousTerm && e.Term <= maxTerm, $"group {g}: term {e.Term} at {e.Index}");
            Assert.True(CrashPayload.Matches(e.Index, e.Term, e.Data.Span), $"group {g}: payload of entry {e.Index} is damaged");
            previousTerm = e.Term;
        }
        Assert.Equal(StorageStatus.Ok, group.Snapshot(out Snapshot snap));
        if (!snap.IsEmpty)
        {
            Assert.True(snap.Metadata.Index <= last);
            Assert.Equal(snap.Metadata.Index, BitConverter.ToUInt64(snap.Data.Span));
        }
    }

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
