using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using FastRaft.Core;
using FastRaft.Hosting.Requests;
using FastRaft.Protocol;

namespace FastRaft.Hosting.Applying;

/// <summary>
/// Brings the state machine up to the log (node thread only): restores the stored snapshot at
/// start, applies committed entries in order (runs of normal entries to the state machine,
/// configuration changes to the core, the transport and the state machine), restores snapshots
/// received from a leader, and settles the requests waiting at each applied index.
/// </summary>
internal sealed class CommittedApplier<TResult> : ISnapshotCheck where TResult : struct
{
    private readonly ulong _nodeId;
    private readonly RawNode _raw;
    private readonly IStateMachine<TResult> _stateMachine;
    private readonly ITransport _transport;
    private readonly RequestTracker<TResult> _tracker;
    private readonly SnapshotScheduler<TResult> _snapshots;
    private readonly NodeCounters _counters;
    private readonly PublishedStatus _status;
    private Snapshot? _startSnapshot;
    private const int MinResults = 16;

    // Grown to the longest run applied (none for a node that never applies a normal entry).
    private TResult[] _results = [];

    public CommittedApplier(
        RawNode raw,
        IStateMachine<TResult> stateMachine,
        ITransport transport,
        RequestTracker<TResult> tracker,
        SnapshotScheduler<TResult> snapshots,
        NodeCounters counters,
        PublishedStatus status,
        Snapshot startSnapshot,
        ConfState confState)
    {
        _nodeId = raw.Id;
        _raw = raw;
        _stateMachine = stateMachine;
        _transport = transport;
        _tracker = tracker;
        _snapshots = snapshots;
        _counters = counters;
        _status = status;
        _startSnapshot = startSnapshot;
        ConfState = confState;
        AppliedIndex = startSnapshot.Metadata.Index;
        status.Applied = AppliedIndex;
    }

    /// <summary>The index of the last entry applied (or restored).</summary>
    public ulong AppliedIndex { get; private set; }

    /// <summary>The configuration as of <see cref="AppliedIndex"/>.</summary>
    public ConfState ConfState { get; private set; }

    /// <summary>
    /// On start, the state machine is rebuilt from the storage's snapshot (the log after it is
    /// replayed, configuration changes included), and the transport learns the configuration.
    /// </summary>
    public void RestoreStart()
    {
        Snapshot? snapshot = _startSnapshot;
        _startSnapshot = null;
        if (snapshot is { IsEmpty: false })
        {
            // Checked like a snapshot from a leader: bad stored data stops the node with a clear
            // error rather than a half-restored state or an obscure failure inside the state machine.
            SnapshotValidationResult check = Check(snapshot.Data);
            if (!check.Succeeded)
            {
                ThrowUnrestorableSnapshot(snapshot, "stored", check.FailureReason, null);
            }
            Restore(snapshot, "stored");
        }
        _transport.OnConfigurationChanged(ConfState);
    }

    /// <summary>The state machine's check; one that throws counts as a refusal (it must not fault the node).</summary>
    public SnapshotValidationResult Check(ReadOnlyMemory<byte> data)
    {
        try
        {
            return _stateMachine.ValidateSnapshot(data);
        }
        catch (Exception ex)
        {
            return SnapshotValidationResult.Fail($"the state machine's check threw {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Drops the results scratch array (a quiet node's); the next apply grows it anew.</summary>
    public void ReleaseScratch() => _results = [];

    /// <summary>Applies committed entries in order: runs of normal entries to the state machine, configuration changes to the core.</summary>
    public void Apply(ReadOnlySpan<Entry> entries)
    {
        int i = 0;
        while (i < entries.Length)
        {
            if (entries[i].Type == EntryType.Normal)
            {
                int end = i + 1;
                while (end < entries.Length && entries[end].Type == EntryType.Normal)
                {
                    end++;
                }
                ApplyNormal(entries[i..end]);
                i = end;
            }
            else
            {
                ApplyConfChange(entries[i]);
                i++;
            }
        }
    }

    /// <summary>A snapshot from the leader replaces the state machine; requests it jumped over have an unknown fate.</summary>
    public void RestoreReceived(Snapshot snapshot)
    {
        Restore(snapshot, "received");
        _transport.OnConfigurationChanged(ConfState);
        _counters.SnapshotsRestored++;
        _tracker.FailUpTo(snapshot.Metadata.Index);
        _status.Applied = AppliedIndex;
    }

    private void ApplyNormal(ReadOnlySpan<Entry> run)
    {
        if (_results.Length < run.Length)
        {
            _results = new TResult[Math.Max(run.Length, Math.Max(MinResults, _results.Length * 2))];
        }
        Span<TResult> results = _results.AsSpan(0, run.Length);
        results.Clear();
        _stateMachine.Apply(run, results);
        MarkApplied(run[^1].Index, run.Length);
        bool tracked = _tracker.HasPendingEntries;
        for (int k = 0; k < run.Length; k++)
        {
            ref readonly Entry e = ref run[k];
            _snapshots.OnApplied(e.Data.Length);
            if (tracked)
            {
                _tracker.OnApplied(e, results[k], ConfState);
            }
        }
    }

    private void ApplyConfChange(in Entry e)
    {
        ConfState = e.Type == EntryType.ConfChange
            ? _raw.ApplyConfChange(DecodeV1(e))
            : _raw.ApplyConfChange(DecodeV2(e));
        MarkApplied(e.Index, 1);
        _snapshots.OnConfigurationChanged();
        _transport.OnConfigurationChanged(ConfState);
        _stateMachine.OnMembershipChanged(e.Index, ConfState);
        if (_tracker.HasPendingEntries)
        {
            _tracker.OnApplied(e, default, ConfState);
        }
    }

    /// <summary>Published before any request completes, so a completed request implies AppliedIndex reached it.</summary>
    private void MarkApplied(ulong index, int entries)
    {
        AppliedIndex = index;
        _status.Applied = index;
        _counters.EntriesApplied += entries;
    }

    /// <param name="snapshot">The snapshot whose data the state machine restores.</param>
    /// <param name="origin">"stored" or "received", for the error should the state machine fail.</param>
    private void Restore(Snapshot snapshot, string origin)
    {
        try
        {
            using MemoryStream source = ReadOnlyStream(snapshot.Data);
            _stateMachine.RestoreSnapshot(source);
        }
        catch (Exception ex)
        {
            ThrowUnrestorableSnapshot(snapshot, origin, $"{ex.GetType().Name}: {ex.Message}", ex);
        }
        AppliedIndex = snapshot.Metadata.Index;
        ConfState = snapshot.Metadata.ConfState;
        _snapshots.OnRestored(snapshot.Metadata.Index);
    }

    private static MemoryStream ReadOnlyStream(ReadOnlyMemory<byte> data) =>
        MemoryMarshal.TryGetArray(data, out ArraySegment<byte> segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);

    private ConfChange DecodeV1(in Entry e)
    {
        if (!ConfChangeCodec.TryDecodeV1(e.Data.Span, out ConfChange cc, out string? error))
        {
            ThrowCorruptConfChange(e.Index, error);
        }
        return cc;
    }

    private ConfChangeV2 DecodeV2(in Entry e)
    {
        if (!ConfChangeCodec.TryDecodeV2(e.Data.Span, out ConfChangeV2? cc, out string? error))
        {
            ThrowCorruptConfChange(e.Index, error);
        }
        return cc;
    }

    [DoesNotReturn]
    private void ThrowUnrestorableSnapshot(Snapshot snapshot, string origin, string problem, Exception? inner) =>
        throw new InvalidDataException(
            $"node {_nodeId:x}: the state machine cannot restore the {origin} snapshot [index: {snapshot.Metadata.Index}, term: {snapshot.Metadata.Term}, {snapshot.Data.Length} bytes]: {problem}",
            inner);

    [DoesNotReturn]
    private void ThrowCorruptConfChange(ulong index, string? error) =>
        throw new InvalidDataException($"node {_nodeId:x}: committed configuration change at index {index} cannot be decoded: {error}");
}
