using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Tests;

/// <summary>Lets the tests append a Ready's entries (a run in up to two pieces) the way etcd's tests call Append.</summary>
internal static class MemoryStorageSegmentsExtensions
{
    /// <summary>Appends both pieces in order; stops at the first status that is not Ok.</summary>
    public static StorageStatus Append(this MemoryStorage storage, EntrySegments entries)
    {
        StorageStatus st = storage.Append(entries.First.Span);
        return st == StorageStatus.Ok ? storage.Append(entries.Second.Span) : st;
    }
}
