using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Benchmarks.Workloads;

/// <summary>
/// One RawNode over a MemoryStorage, driven the way a host drives it: each Ready is persisted
/// with one <see cref="MemoryStorage.Save"/>, its messages are stepped straight into the peers
/// (the views stay valid until this node's next Ready, so nothing is copied), the committed
/// entries are applied, the storage is compacted behind the applied index now and then, and
/// the node is advanced. Shared by the benchmarks and the allocation gates in the tests.
/// </summary>
public sealed class BenchNode
{
    /// <summary>Compaction runs once this many applied entries are held by the storage.</summary>
    public const ulong CompactEvery = 4096;

    /// <summary>How many applied entries compaction keeps, so a follower a batch behind is still served from the log.</summary>
    public const ulong KeepBehind = 1024;

    private ulong _compactedTo;

    private BenchNode(RawNode node, MemoryStorage storage, ulong snapshotIndex)
    {
        Node = node;
        Storage = storage;
        Applied = snapshotIndex;
        _compactedTo = snapshotIndex;
    }

    public RawNode Node { get; }

    public MemoryStorage Storage { get; }

    /// <summary>The index of the last committed entry handed to the application.</summary>
    public ulong Applied { get; private set; }

    /// <summary>Payload bytes applied so far (the application's "work").</summary>
    public ulong AppliedBytes { get; private set; }

    /// <summary>A node of a cluster of <paramref name="voters"/>, started from a snapshot at index 1 that names them.</summary>
    public static BenchNode Create(ulong id, ulong[] voters)
    {
        var storage = new MemoryStorage();
        var snapshot = new Snapshot(ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(new ConfState { Voters = voters }, 1, 1));
        Check(storage.ApplySnapshot(snapshot));
        var node = new RawNode(new RaftConfig
        {
            Id = id,
            Storage = storage,
            ElectionTick = 10,
            HeartbeatTick = 1,
            MaxSizePerMsg = 1024 * 1024,
            MaxInflightMsgs = 256,
            Applied = 1,
            Random = new Random(unchecked((int)id)),
        });
        return new BenchNode(node, storage, 1);
    }

    /// <summary>
    /// Handles one Ready if there is one: persist, deliver the messages to <paramref name="peers"/>
    /// (indexed by node id), apply, Advance. Returns whether there was a Ready.
    /// </summary>
    public bool HandleReady(BenchNode?[] peers)
    {
        RawNode node = Node;
        if (!node.HasReady())
        {
            return false;
        }
        Ready rd = node.Ready();
        Check(Storage.Save(rd.HardState, rd.Entries, rd.Snapshot, rd.MustSync));
        foreach (ref readonly Message m in rd.Messages.Span)
        {
            peers[m.To]!.Node.Step(m);
        }
        Apply(rd.CommittedEntries.Span);
        node.Advance();
        Storage.AdvanceEpoch();
        return true;
    }

    private void Apply(ReadOnlySpan<Entry> committed)
    {
        if (committed.IsEmpty)
        {
            return;
        }
        ulong bytes = 0;
        foreach (ref readonly Entry e in committed)
        {
            bytes += (ulong)e.Data.Length;
        }
        AppliedBytes += bytes;
        Applied = committed[^1].Index;
        if (Applied - _compactedTo >= CompactEvery)
        {
            _compactedTo = Applied - KeepBehind;
            Check(Storage.Compact(_compactedTo));
        }
    }

    /// <summary>Fails loudly: a benchmark that silently measures a refused operation measures nothing.</summary>
    public static void Check(StorageStatus status)
    {
        if (status != StorageStatus.Ok)
        {
            Fail($"storage answered {status}");
        }
    }

    public static void Check(StepResult result)
    {
        if (result != StepResult.Ok)
        {
            Fail($"step answered {result}");
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void Fail(string what) => throw new InvalidOperationException(what);
}
