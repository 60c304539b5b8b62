using FastRaft.Core.Storage;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Tests.Node;

/// <summary>
/// The state machine of a <see cref="TestCluster"/> node: records every committed entry the node
/// applies, in log order, as the test harnesses always have (payloads copied). The agent hands
/// configuration changes to the core itself and tells the state machine only their index, so
/// those entries are read back from the node's storage, where they are by then.
/// </summary>
internal sealed class EntryRecorder(MemoryStorage storage, List<Entry> applied) : IStateMachine<ulong>
{
    public void Apply(ReadOnlySpan<Entry> entries, Span<ulong> results)
    {
        for (int i = 0; i < entries.Length; i++)
        {
            applied.Add(entries[i] with { Data = entries[i].Data.ToArray() });
            results[i] = (ulong)applied.Count;
        }
    }

    public void OnMembershipChanged(ulong index, ConfState confState)
    {
        var buffer = new EntryBuffer();
        Assert.Equal(StorageStatus.Ok, storage.Entries(index, index + 1, ulong.MaxValue, buffer));
        Entry e = buffer.Span[0];
        applied.Add(e with { Data = e.Data.ToArray() });
    }

    public void SaveSnapshot(Stream destination)
    {
    }

    public void RestoreSnapshot(Stream source)
    {
    }
}
