using FastRaft.Benchmarks.Workloads;

namespace FastRaft.Tests.Perf;

/// <summary>The unstable-log and MemoryStorage benchmarks' operations allocate nothing once warm.</summary>
[Collection(AllocationGateCollection.Name)]
public class LogAndStorageAllocationGateTests
{
    // Truncate-and-append renews its log every 8 windows of rewrites; the payload arena's pools
    // reach their steady size after two renewals.
    private const int WarmupEntries = 3 * 8 * 1024;

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (string op in new[] { "Append", "Slice", "TruncateAndAppend", "AppendThenStable" })
        {
            foreach (int batch in new[] { 1, 16, 256 })
            {
                data.Add(op, batch);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Unstable_operation_allocates_nothing(string op, int batch)
    {
        var w = new UnstableWorkload(batch, 256);
        Func<ulong> operation = op switch
        {
            "Append" => w.Append,
            "Slice" => w.Slice,
            "TruncateAndAppend" => w.TruncateAndAppend,
            "AppendThenStable" => w.AppendThenStable,
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        };

        long allocated = AllocationGate.MeasuredBytes(operation, batch, out _, out _, WarmupEntries);

        // Every operation leaves the log between one and two windows long.
        Assert.InRange(w.Count, UnstableWorkload.Window, 2 * UnstableWorkload.Window);
        Assert.Equal(0, allocated);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Memory_storage_operation_allocates_nothing(string op, int batch)
    {
        var w = new StorageWorkload(batch, 256);
        Func<ulong> operation = op switch
        {
            "Append" => w.Append,
            "Slice" => w.Entries,
            "TruncateAndAppend" => w.TruncateAndAppend,
            "AppendThenStable" => w.AppendThenCompact,
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        };

        long allocated = AllocationGate.MeasuredBytes(operation, batch, out _, out _, WarmupEntries);

        ulong held = w.Storage.LastIndex() + 1 - w.Storage.FirstIndex();
        Assert.InRange(held, (ulong)StorageWorkload.Window, 2UL * StorageWorkload.Window);
        Assert.Equal(0, allocated);
    }
}
