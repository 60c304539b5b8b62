using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Benchmarks.Workloads;

/// <summary>
/// The core alone: one RawNode over a MemoryStorage, a one-voter cluster (the leader commits on
/// its own durable write), proposals made with <see cref="RawNode.Propose(ReadOnlyMemory{byte})"/>.
/// This measures the core, not a host: what the application must do with a Ready (persist it with
/// one <see cref="MemoryStorage.Save"/>, count the committed entries, Advance, compact behind the
/// applied index now and then) is done inline, with no transport, requests or state machine. The
/// host's path is measured by <see cref="AgentClusterWorkload"/>. Driven two ways:
/// <list type="bullet">
/// <item><see cref="ProposeAndCommit"/>: propose a batch, then handle Readys until the node is
/// quiet: the batch is persisted, committed and applied before the next one is proposed (two
/// Readys per batch: one persists it, the next one commits and applies it).</item>
/// <item><see cref="ProposeStreamed"/>: a steady stream: propose a batch, handle one Ready. Each
/// Ready persists the new batch and commits and applies the previous one, as in a busy server
/// (more Readys only when the size limit per Ready leaves more than a batch unapplied).</item>
/// </list>
/// </summary>
public sealed class SingleVoterWorkload
{
    /// <summary>Compaction runs once this many applied entries are held by the storage.</summary>
    public const ulong CompactEvery = 4096;

    /// <summary>How many applied entries compaction keeps.</summary>
    public const ulong KeepBehind = 1024;

    private readonly RawNode _node;
    private readonly MemoryStorage _storage;
    private readonly ReadOnlyMemory<byte> _payload;
    private ulong _compactedTo;

    public SingleVoterWorkload(int payloadSize)
    {
        _payload = Payloads.Make(payloadSize);
        _storage = new MemoryStorage();
        var snapshot = new Snapshot(ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(new ConfState { Voters = [1] }, 1, 1));
        BenchCheck.Ok(_storage.ApplySnapshot(snapshot));
        _node = new RawNode(new RaftConfig
        {
            Id = 1,
            Storage = _storage,
            ElectionTick = 10,
            HeartbeatTick = 1,
            MaxSizePerMsg = 1024 * 1024,
            MaxInflightMsgs = 256,
            Applied = 1,
            Random = new Random(1),
        });
        Applied = 1;
        _compactedTo = 1;
        BenchCheck.Ok(_node.Campaign());
        Drain();
        if (_node.BasicStatus().SoftState.Role != NodeRole.Leader)
        {
            BenchCheck.Fail("the single voter did not become leader");
        }
    }

    /// <summary>The index of the last committed entry handed to the application.</summary>
    public ulong Applied { get; private set; }

    /// <summary>Payload bytes applied so far (the application's "work").</summary>
    public ulong AppliedBytes { get; private set; }

    /// <summary>The index of the last proposed entry.</summary>
    public ulong LastIndex => _node.LastIndex;

    /// <summary>Proposes <paramref name="batch"/> entries, then persists, commits and applies them. Returns the applied index.</summary>
    public ulong ProposeAndCommit(int batch)
    {
        for (int i = 0; i < batch; i++)
        {
            BenchCheck.Ok(_node.Propose(_payload));
        }
        Drain();
        return Applied;
    }

    /// <summary>Proposes <paramref name="batch"/> entries and handles one Ready (if any). Returns the applied index.</summary>
    public ulong ProposeStreamed(int batch)
    {
        for (int i = 0; i < batch; i++)
        {
            BenchCheck.Ok(_node.Propose(_payload));
        }
        HandleReady();
        // A Ready hands out at most MaxCommittedSizePerReady (here MaxSizePerMsg, 1 MiB) of
        // committed entries, less than a batch of 256 4-KiB entries: catch up as a host would,
        // or the stream would fall further behind with every batch.
        while (_node.LastIndex - Applied > (ulong)batch && HandleReady())
        {
        }
        return Applied;
    }

    private void Drain()
    {
        while (HandleReady())
        {
        }
    }

    /// <summary>One Ready, what the core requires of its user: persist, take the committed entries, Advance. A single voter sends no messages.</summary>
    private bool HandleReady()
    {
        if (!_node.HasReady())
        {
            return false;
        }
        Ready rd = _node.Ready();
        BenchCheck.Ok(_storage.Save(rd.HardState, rd.Entries, rd.Snapshot, rd.MustSync));
        if (!rd.Messages.IsEmpty)
        {
            BenchCheck.Fail("a single voter has nobody to send to");
        }
        Consume(rd.CommittedEntries.Span);
        _node.Advance();
        _storage.AdvanceEpoch();
        return true;
    }

    private void Consume(ReadOnlySpan<Entry> committed)
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
            BenchCheck.Ok(_storage.Compact(_compactedTo));
        }
    }
}
