using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;

namespace FastRaft.Tests.Wal;

/// <summary>A fresh directory for one test's log, deleted on dispose.</summary>
/// <remarks>
/// Memory-backed directories (tmpfs, where a sync returns at once) are for tests that sync
/// thousands of times to check something other than durability (allocation, semantics): the
/// code path is the same, only the device is faster and unaffected by other load on the disk.
/// </remarks>
internal sealed class TempWalDirectory : IDisposable
{
    private const string MemoryRoot = "/dev/shm";

    public TempWalDirectory(bool memoryBacked = false)
    {
        string root = memoryBacked && OperatingSystem.IsLinux() && Directory.Exists(MemoryRoot) ? MemoryRoot : System.IO.Path.GetTempPath();
        Path = System.IO.Path.Combine(root, "fastraft-wal-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
        MemoryBacked = memoryBacked;
    }

    public bool MemoryBacked { get; }

    public string Path { get; }

    /// <summary>Small segments keep disk use low and make rollovers happen in tests.</summary>
    public static WalOptions Small(long segmentSize = 64 * 1024, long cacheBytes = WalOptions.DefaultCacheBytes) =>
        new() { SegmentSize = segmentSize, CacheBytes = cacheBytes };

    public WriteAheadLog Open(WalOptions? options = null) => WriteAheadLog.Open(Path, options ?? Small());

    public string[] Files(string pattern) => Directory.GetFiles(Path, pattern);

    /// <summary>
    /// Copies the directory's files (not the lock) into a new temporary directory. Taken while a
    /// log is open, the copy is what a crash at that moment would leave: everything written
    /// (the page cache outlives a killed process), without what a clean close adds.
    /// </summary>
    public TempWalDirectory Clone()
    {
        var copy = new TempWalDirectory(MemoryBacked);
        foreach (string f in Directory.GetFiles(Path))
        {
            string name = System.IO.Path.GetFileName(f);
            if (name != "LOCK")
            {
                File.Copy(f, System.IO.Path.Combine(copy.Path, name));
            }
        }
        return copy;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory must not fail a test.
        }
    }
}

internal static class WalAssert
{
    /// <summary>Every entry from FirstIndex to LastIndex.</summary>
    public static Entry[] Stored(IStorage s)
    {
        var dest = new EntryBuffer();
        if (s.LastIndex() >= s.FirstIndex())
        {
            Assert.Equal(StorageStatus.Ok, s.Entries(s.FirstIndex(), s.LastIndex() + 1, ulong.MaxValue, dest));
        }
        return dest.Span.ToArray();
    }

    /// <summary>Asserts that two storages answer every read the same way.</summary>
    public static void SameState(IStorage expected, IStorage actual)
    {
        Assert.Equal(expected.FirstIndex(), actual.FirstIndex());
        Assert.Equal(expected.LastIndex(), actual.LastIndex());
        Assert.Equal(expected.InitialState(out HardState ehs, out ConfState ecs), actual.InitialState(out HardState ahs, out ConfState acs));
        Assert.Equal(ehs, ahs);
        Assert.Equal(ecs, acs);
        ulong dummy = expected.FirstIndex() - 1;
        Assert.Equal(expected.Term(dummy, out ulong et), actual.Term(dummy, out ulong at));
        Assert.Equal(et, at);
        Assert.Equal(Stored(expected), Stored(actual));
        Assert.Equal(expected.Snapshot(out Snapshot es), actual.Snapshot(out Snapshot asnap));
        Assert.Equal(es.Metadata.Index, asnap.Metadata.Index);
        Assert.Equal(es.Metadata.Term, asnap.Metadata.Term);
        Assert.Equal(es.Metadata.ConfState, asnap.Metadata.ConfState);
        Assert.True(es.Data.Span.SequenceEqual(asnap.Data.Span));
    }

    public static Entry Payload(ulong term, ulong index, int length, byte seed)
    {
        byte[] data = new byte[length];
        for (int k = 0; k < length; k++)
        {
            data[k] = (byte)(seed + index * 31 + (ulong)k * 7 + 1);
        }
        if (length > 0 && data[^1] == 0)
        {
            data[^1] = 0xA5;
        }
        return new Entry(term, index, EntryType.Normal, data);
    }

    public static Entry[] Payloads(ulong first, int count, ulong term, int length, byte seed = 0)
    {
        var ents = new Entry[count];
        for (int k = 0; k < count; k++)
        {
            ents[k] = Payload(term, first + (ulong)k, length, seed);
        }
        return ents;
    }
}
