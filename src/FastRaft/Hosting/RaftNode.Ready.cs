using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Hosting.Requests;
using FastRaft.Protocol;

namespace FastRaft.Hosting;

// Handling a Ready in etcd's order: persist, send, apply, Advance. Node thread only.
public sealed partial class RaftNode<TResult>
{
    private Snapshot? _startSnapshot;
    private ConfState _confState;
    private ulong _appliedIndex;
    private ulong _snapshotIndex;
    private long _bytesSinceSnapshot;

    /// <summary>A configuration change was applied while the storage holds a snapshot (see <see cref="ApplyConfChange"/>).</summary>
    private bool _snapshotForConfiguration;
    private TResult[] _results = new TResult[64];
    private MemoryStream? _snapshotBuffer;

    private void HandleReady()
    {
        Ready rd = _raw.Ready();
        _counters.Readys++;

        StorageStatus saved = _storage.Save(rd.HardState, rd.Entries, rd.Snapshot, rd.MustSync);
        if (saved != StorageStatus.Ok)
        {
            ThrowStorageFailure(saved);
        }

        ReadOnlySpan<Message> messages = rd.Messages.Span;
        if (!messages.IsEmpty)
        {
            foreach (ref readonly Message m in messages)
            {
                _transport.Send(m);
            }
            _transport.Flush();
            _counters.MessagesSent += messages.Length;
        }

        if (!rd.HardState.IsEmpty)
        {
            Volatile.Write(ref _commit, rd.HardState.Commit);
        }
        PublishLeadership(rd);

        if (rd.Snapshot is { IsEmpty: false } snapshot)
        {
            RestoreReceivedSnapshot(snapshot);
        }
        if (!rd.CommittedEntries.IsEmpty)
        {
            ApplyCommitted(rd.CommittedEntries.Span);
        }
        if (!rd.ReadStates.IsEmpty)
        {
            OnReadStates(rd.ReadStates.Span);
        }
        if (_readsAwaitingApply.Count > 0)
        {
            CompleteAppliedReads();
        }

        _raw.Advance();
        _storage.AdvanceEpoch();

        if (_options.Snapshots.Enabled && SnapshotDue())
        {
            TakeSnapshot(compact: true);
        }
        else if (_snapshotForConfiguration)
        {
            TakeSnapshot(compact: _options.Snapshots.Enabled);
        }
        _snapshotForConfiguration = false;
    }

    private void PublishLeadership(in Ready rd)
    {
        bool changed = false;
        if (rd.SoftState is SoftState soft)
        {
            Volatile.Write(ref _leader, soft.Lead);
            Volatile.Write(ref _role, (int)soft.RaftState);
            changed = true;
        }
        if (!rd.HardState.IsEmpty && rd.HardState.Term != _term)
        {
            Volatile.Write(ref _term, rd.HardState.Term);
            changed = true;
        }
        if (!changed)
        {
            return;
        }
        if (_transfers.Count > 0)
        {
            CompleteTransfers(_leader);
        }
        Action<LeadershipChange>? handler = LeadershipChanged;
        if (handler is null)
        {
            return;
        }
        try
        {
            handler(new LeadershipChange(_term, _leader, (StateType)_role));
        }
        catch (Exception ex)
        {
            _log.Error($"node {Id:x}: a LeadershipChanged handler threw: {ex}");
        }
    }

    /// <summary>Applies committed entries in order: runs of normal entries to the state machine, configuration changes to the core.</summary>
    private void ApplyCommitted(ReadOnlySpan<Entry> entries)
    {
        int i = 0;
        while (i < entries.Length)
        {
            if (entries[i].Type == EntryType.EntryNormal)
            {
                int end = i + 1;
                while (end < entries.Length && entries[end].Type == EntryType.EntryNormal)
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

    private void ApplyNormal(ReadOnlySpan<Entry> run)
    {
        if (_results.Length < run.Length)
        {
            _results = new TResult[Math.Max(run.Length, _results.Length * 2)];
        }
        Span<TResult> results = _results.AsSpan(0, run.Length);
        results.Clear();
        _stateMachine.Apply(run, results);
        MarkApplied(run[^1].Index, run.Length);
        for (int k = 0; k < run.Length; k++)
        {
            ref readonly Entry e = ref run[k];
            _bytesSinceSnapshot += e.Data.Length;
            if (_pending.Count > 0)
            {
                CompletePending(e, results[k]);
            }
        }
    }

    /// <summary>Published before any request completes, so a completed request implies AppliedIndex reached it.</summary>
    private void MarkApplied(ulong index, int entries)
    {
        _appliedIndex = index;
        Volatile.Write(ref _applied, index);
        _counters.EntriesApplied += entries;
    }

    private void ApplyConfChange(in Entry e)
    {
        _confState = e.Type == EntryType.EntryConfChange
            ? _raw.ApplyConfChange(DecodeV1(e))
            : _raw.ApplyConfChange(DecodeV2(e));
        MarkApplied(e.Index, 1);
        // A node that joins needs a snapshot when the log no longer starts at the beginning, and
        // the core refuses one whose configuration does not include it: so the storage's
        // snapshot must not predate the change (etcd's server sends a fresh one for the same reason).
        _snapshotForConfiguration |= _snapshotIndex > 0;
        _transport.OnConfigurationChanged(_confState);
        _stateMachine.OnMembershipChanged(e.Index, _confState);
        if (_pending.Count > 0)
        {
            CompletePending(e, default);
        }
    }

    /// <summary>
    /// Settles the request waiting at the index just applied: the same term means it is this
    /// node's entry, committed; another term means another leader's entry took its place.
    /// </summary>
    private void CompletePending(in Entry e, TResult result)
    {
        // Every index is applied in turn, so an older one left over means it was skipped somehow.
        while (_pending.Count > 0 && _pending.Front.Index < e.Index)
        {
            FailRequest(_pending.PopFront().Request, RequestStatus.Unknown);
        }
        if (_pending.Count == 0 || _pending.Front.Index != e.Index)
        {
            return;
        }
        PendingEntry p = _pending.PopFront();
        if (p.Term != e.Term)
        {
            FailRequest(p.Request, RequestStatus.Lost);
            return;
        }
        switch (p.Request)
        {
            case ProposalOperation<TResult> proposal when e.Type == EntryType.EntryNormal:
                _counters.ProposalsCommitted++;
                proposal.Complete(ProposeResult<TResult>.Applied(e.Index, e.Term, result));
                break;
            case MembershipOperation change when e.Type != EntryType.EntryNormal:
                change.Complete(e.Index, _confState);
                break;
            case MembershipOperation change:
                // The leader replaced the change with an empty entry: its validation refused it.
                change.Fail(RequestStatus.Refused, Leader);
                break;
            default:
                FailRequest(p.Request, RequestStatus.Unknown);
                break;
        }
    }

    /// <summary>A snapshot from the leader replaces the state machine; requests it jumped over have an unknown fate.</summary>
    private void RestoreReceivedSnapshot(Snapshot snapshot)
    {
        RestoreStateMachine(snapshot, "received");
        _transport.OnConfigurationChanged(_confState);
        _counters.SnapshotsRestored++;
        ulong index = snapshot.Metadata.Index;
        while (_pending.Count > 0 && _pending.Front.Index <= index)
        {
            FailRequest(_pending.PopFront().Request, RequestStatus.Unknown);
        }
        Volatile.Write(ref _applied, index);
    }

    /// <summary>
    /// On start, the state machine is rebuilt from the storage's snapshot (the log after it is
    /// replayed, configuration changes included), and the transport learns the configuration.
    /// </summary>
    private void RestoreStartSnapshot()
    {
        Snapshot? snapshot = _startSnapshot;
        _startSnapshot = null;
        if (snapshot is { IsEmpty: false })
        {
            // Checked like a snapshot from a leader: bad stored data stops the node with a clear
            // error rather than a half-restored state or an obscure failure inside the state machine.
            SnapshotValidationResult check = ValidateSnapshotData(snapshot.Data);
            if (!check.Succeeded)
            {
                ThrowUnrestorableSnapshot(snapshot, "stored", check.FailureReason, null);
            }
            RestoreStateMachine(snapshot, "stored");
        }
        _transport.OnConfigurationChanged(_confState);
    }

    /// <param name="origin">"stored" or "received", for the error should the state machine fail.</param>
    private void RestoreStateMachine(Snapshot snapshot, string origin)
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
        _appliedIndex = snapshot.Metadata.Index;
        _snapshotIndex = snapshot.Metadata.Index;
        _confState = snapshot.Metadata.ConfState;
        _bytesSinceSnapshot = 0;
    }

    private bool SnapshotDue()
    {
        SnapshotPolicy policy = _options.Snapshots;
        return (policy.EveryEntries > 0 && _appliedIndex - _snapshotIndex >= policy.EveryEntries)
            || (policy.EveryBytes > 0 && _bytesSinceSnapshot >= policy.EveryBytes);
    }

    /// <summary>
    /// Snapshots the state machine at the applied index and compacts the log behind it (when
    /// <paramref name="compact"/>), keeping the configured tail. The data must be a fresh array:
    /// storage keeps it by reference.
    /// </summary>
    private void TakeSnapshot(bool compact)
    {
        MemoryStream buffer = _snapshotBuffer ??= new MemoryStream();
        buffer.SetLength(0);
        _stateMachine.SaveSnapshot(buffer);
        StorageStatus st = _storage.CreateSnapshot(_appliedIndex, _confState, buffer.ToArray(), out _);
        if (buffer.Capacity > 1 << 20)
        {
            // Do not pin a large state's buffer between snapshots.
            _snapshotBuffer = null;
        }
        if (st != StorageStatus.Ok)
        {
            _log.Warning($"node {Id:x}: snapshot at {_appliedIndex} not created: {st.Describe()}");
            return;
        }
        _counters.SnapshotsCreated++;
        _snapshotIndex = _appliedIndex;
        _bytesSinceSnapshot = 0;
        ulong keep = _options.Snapshots.KeepEntries;
        if (compact && _appliedIndex > keep)
        {
            ulong compactIndex = _appliedIndex - keep;
            if (compactIndex >= _storage.FirstIndex())
            {
                // Compacted means someone compacted further already: nothing to do.
                _storage.Compact(compactIndex);
            }
        }
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
            $"node {Id:x}: the state machine cannot restore the {origin} snapshot [index: {snapshot.Metadata.Index}, term: {snapshot.Metadata.Term}, {snapshot.Data.Length} bytes]: {problem}",
            inner);

    [DoesNotReturn]
    private void ThrowStorageFailure(StorageStatus status) =>
        throw new InvalidOperationException($"node {Id:x}: storage refused to save a Ready: {status.Describe()}");

    [DoesNotReturn]
    private void ThrowCorruptConfChange(ulong index, string? error) =>
        throw new InvalidDataException($"node {Id:x}: committed configuration change at index {index} cannot be decoded: {error}");
}
