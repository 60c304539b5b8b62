using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;
using FastRaft.Tests.Node;

namespace FastRaft.Tests.Wal;

/// <summary>
/// A RawNode over a WriteAheadLog with the host's Ready loop: Save (one group commit), apply,
/// collect messages, Advance, AdvanceEpoch. The applied state is a count and a running hash of
/// the normal entries' payloads; snapshots carry both, so a restarted node rebuilds it from the
/// snapshot plus the committed entries the node hands out again.
/// </summary>
internal sealed class WalNodeDriver : IDisposable
{
    private readonly string _directory;
    private readonly WalOptions _options;

    public WalNodeDriver(ulong id, string directory, WalOptions options, ulong[]? bootstrapVoters = null)
    {
        Id = id;
        _directory = directory;
        _options = options;
        Wal = WriteAheadLog.Open(directory, options);
        if (bootstrapVoters is not null)
        {
            var snap = new Snapshot(AppliedState.Encode(0, 0), new SnapshotMetadata(new ConfState { Voters = bootstrapVoters }, 1, 1));
            Assert.Equal(StorageStatus.Ok, Wal.ApplySnapshot(snap));
        }
        Node = Start();
    }

    public ulong Id { get; }

    public WriteAheadLog Wal { get; private set; }

    public RawNode Node { get; private set; }

    /// <summary>Normal entries applied.</summary>
    public long AppliedCount { get; private set; }

    /// <summary>A hash over the payloads applied, in order.</summary>
    public ulong AppliedHash { get; private set; }

    public ulong AppliedIndex { get; private set; }

    /// <summary>Closes the log and builds a new node over the reopened log, as after a process restart.</summary>
    public void Restart()
    {
        Wal.Dispose();
        Wal = WriteAheadLog.Open(_directory, _options);
        Node = Start();
    }

    /// <summary>Handles one Ready; outgoing messages are copied into <paramref name="outbox"/>.</summary>
    public bool HandleReady(List<Message> outbox)
    {
        if (!Node.HasReady())
        {
            return false;
        }
        Ready rd = Node.Ready();
        Assert.Equal(StorageStatus.Ok, Wal.Save(rd.HardState, rd.Entries, rd.Snapshot, rd.MustSync));
        if (rd.Snapshot is { IsEmpty: false } snap)
        {
            (AppliedCount, AppliedHash) = AppliedState.Decode(snap.Data.Span);
            AppliedIndex = snap.Metadata.Index;
        }
        foreach (Entry e in rd.CommittedEntries.Span)
        {
            Apply(e);
        }
        foreach (Message m in rd.Messages.Span)
        {
            outbox.Add(TestCluster.Own(m));
        }
        Node.Advance();
        Wal.AdvanceEpoch();
        return true;
    }

    /// <summary>Snapshots the applied state at the applied index and compacts behind it, keeping <paramref name="keep"/> entries.</summary>
    public void SnapshotAndCompact(ulong keep)
    {
        Assert.Equal(StorageStatus.Ok, Wal.CreateSnapshot(AppliedIndex, null, AppliedState.Encode(AppliedCount, AppliedHash), out _));
        if (AppliedIndex > keep)
        {
            Assert.Equal(StorageStatus.Ok, Wal.Compact(AppliedIndex - keep));
        }
    }

    public void Dispose() => Wal.Dispose();

    private RawNode Start()
    {
        Assert.Equal(StorageStatus.Ok, Wal.Snapshot(out Snapshot snap));
        (AppliedCount, AppliedHash) = snap.Data.IsEmpty ? (0, 0UL) : AppliedState.Decode(snap.Data.Span);
        AppliedIndex = snap.Metadata.Index;
        return new RawNode(new RaftConfig
        {
            Id = Id,
            ElectionTick = 10,
            HeartbeatTick = 1,
            Storage = Wal,
            MaxSizePerMsg = 64 * 1024,
            MaxInflightMsgs = 256,
            // The snapshot holds the applied state; the node hands out the committed entries after it again.
            Applied = snap.Metadata.Index,
            Random = new Random(4321 + (int)Id),
        });
    }

    private void Apply(in Entry e)
    {
        Assert.Equal(AppliedIndex + 1, e.Index);
        AppliedIndex = e.Index;
        if (e.Type == EntryType.EntryNormal && !e.Data.IsEmpty)
        {
            AppliedCount++;
            AppliedHash = AppliedState.Mix(AppliedHash, e.Data.Span);
        }
    }
}

internal static class AppliedState
{
    /// <summary>FNV-1a over the payload, chained: order-sensitive.</summary>
    public static ulong Mix(ulong hash, ReadOnlySpan<byte> payload)
    {
        hash ^= 0xCBF29CE484222325UL;
        foreach (byte b in payload)
        {
            hash = (hash ^ b) * 0x100000001B3UL;
        }
        return hash;
    }

    public static byte[] Encode(long count, ulong hash)
    {
        byte[] b = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(b, count);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), hash);
        return b;
    }

    public static (long Count, ulong Hash) Decode(ReadOnlySpan<byte> b) =>
        (System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(b), System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(b[8..]));
}
