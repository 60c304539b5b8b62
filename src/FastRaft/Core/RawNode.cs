using FastRaft.Core.Log;
using FastRaft.Core.ConfChanges;
using FastRaft.Core.Logging;
using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Core;

/// <summary>
/// The application's handle on a Raft node (etcd's RawNode): feed it ticks, messages and
/// proposals; take its <see cref="Ready"/> work, perform it, and <see cref="Advance"/>. Not
/// thread-safe: one thread drives a node. Nothing here allocates per entry once warmed up.
/// </summary>
public sealed class RawNode
{
    private readonly Raft _raft;
    private readonly bool _asyncStorageWrites;
    private SoftState _prevSoftState;
    private HardState _prevHardState;

    /// <summary>
    /// Whether Advance steps the self-addressed responses of the handed-out arena's after-append
    /// list (synchronous storage mode): they stay there, intact until the next Ready.
    /// </summary>
    private bool _stepsOnAdvance;

    // The storage acknowledgements a synchronous Ready owes, stepped by Advance after the
    // messages above. etcd queues them as messages; only these few fields vary, so they are kept
    // as fields and the messages built on the stack when stepped.
    private bool _owesAppendResp;
    private ulong _appendRespIndex;
    private ulong _appendRespLogTerm;
    private ulong _appendRespTerm;
    private Snapshot? _appendRespSnapshot;
    private ReadOnlyMemory<Entry> _owedApplyResp;
    private ulong _owedApplySize;

    private bool _readyPending;
    private readonly Entry[] _proposal = new Entry[1];
    private readonly RefusalTally _refusals = new();

    /// <summary>Builds a node from storage (bootstrap or restart). Throws <see cref="ArgumentException"/> on an invalid config.</summary>
    public RawNode(RaftConfig config)
    {
        _raft = new Raft(config);
        _asyncStorageWrites = config.AsyncStorageWrites;
        _prevSoftState = _raft.SoftState;
        _prevHardState = _raft.HardState;
    }

    /// <summary>This node's id (<see cref="RaftConfig.Id"/>).</summary>
    public ulong Id => _raft.Id;

    /// <summary>Advances the logical clock by one tick.</summary>
    public void Tick() => _raft.Tick();

    /// <summary>Makes this node campaign to become leader.</summary>
    public StepResult Campaign() => _raft.Step(new Message { Type = MessageType.Hup });

    /// <summary>
    /// Proposes an entry. The payload is copied into the node's log (or into the forwarded
    /// message), so <paramref name="data"/> may be reused as soon as this returns.
    /// </summary>
    public StepResult Propose(ReadOnlyMemory<byte> data)
    {
        _proposal[0] = new Entry(0, 0, EntryType.Normal, data);
        StepResult r = _raft.Step(new Message { Type = MessageType.Propose, From = _raft.Id, Entries = _proposal });
        _proposal[0] = default;
        return r;
    }

    /// <summary>
    /// Proposes an entry and reports where it landed: on the leader, <paramref name="index"/> is
    /// the new entry's log index (its term is the current term); elsewhere it is 0 (the proposal
    /// was forwarded or dropped).
    /// </summary>
    public StepResult Propose(ReadOnlyMemory<byte> data, out ulong index)
    {
        StepResult r = Propose(data);
        index = r == StepResult.Ok && _raft.State == NodeRole.Leader ? _raft.Log.LastIndex() : 0;
        return r;
    }

    /// <summary>The index of the last entry in the log (stable or not).</summary>
    public ulong LastIndex => _raft.Log.LastIndex();

    /// <summary>Proposes a configuration change (v1 or v2).</summary>
    public StepResult ProposeConfChange(IConfChange cc)
    {
        Entry e = cc.TryAsV1(out ConfChange v1)
            ? new Entry(0, 0, EntryType.ConfChange, ConfChangeCodec.Encode(v1))
            : new Entry(0, 0, EntryType.ConfChangeV2, ConfChangeCodec.Encode(cc.AsV2()));
        return _raft.Step(new Message { Type = MessageType.Propose, Entries = new[] { e } });
    }

    /// <summary>
    /// Applies a committed configuration change to the node; the application calls this when it
    /// applies such an entry. Returns the resulting configuration. A change the configuration
    /// cannot take (a corrupted or invalid entry) throws <see cref="RaftPanicException"/>.
    /// </summary>
    public ConfState ApplyConfChange(IConfChange cc)
    {
        ConfChangeResult r = _raft.ApplyConfChange(cc.AsV2());
        if (!r.Ok)
        {
            throw new RaftPanicException(r.Error!);
        }
        return _raft.Trk.ConfState();
    }

    /// <summary>
    /// Steps a message received from the network or a local storage thread. Local message
    /// types from the network and responses from peers outside the configuration are refused;
    /// so is a peer's message that would break an invariant of this node (a Refused* result,
    /// counted in <see cref="Refusals"/>): then nothing of it is used and nothing changes.
    /// </summary>
    public StepResult Step(in Message m)
    {
        if (Message.IsLocalMsg(m.Type))
        {
            if (!IsLocalMsgTarget(m.From))
            {
                return StepResult.StepLocalMessage;
            }
        }
        else
        {
            if (Message.IsResponseMsg(m.Type) && !IsLocalMsgTarget(m.From) && !_raft.Trk.Progress.ContainsKey(m.From))
            {
                return StepResult.StepPeerNotFound;
            }
            StepResult check = _raft.CheckPeerMessage(m);
            if (check != StepResult.Ok)
            {
                return Refuse(m, check);
            }
        }
        return _raft.Step(m);
    }

    /// <summary>How many peer messages this node refused, by reason. Allocation-free; node thread only.</summary>
    public RefusalCounts Refusals => _refusals.Snapshot();

    /// <summary>Whether <paramref name="id"/> is in this node's current configuration (voter or learner, incoming or outgoing).</summary>
    public bool IsMember(ulong id) => _raft.Trk.Progress.ContainsKey(id);

    private StepResult Refuse(in Message m, StepResult reason)
    {
        _refusals.Add(reason);
        _raft.Logger.Warning(RaftLogEvents.MessageRefused, $"{_raft.Id:x} [term: {_raft.Term}] refused {EtcdTypeText.Of(m.Type)} from {m.From:x} [term: {m.Term}, logterm: {m.LogTerm}, index: {m.Index}, commit: {m.Commit}, entries: {m.Entries.Length}]: {reason.ErrorText()}");
        return reason;
    }

    private static bool IsLocalMsgTarget(ulong id) => id is LocalIds.LocalAppendThread or LocalIds.LocalApplyThread;

    /// <summary>Whether there is work for the application.</summary>
    public bool HasReady()
    {
        Raft r = _raft;
        if (r.SoftState != _prevSoftState)
        {
            return true;
        }
        HardState hs = r.HardState;
        if (!hs.IsEmpty && hs != _prevHardState)
        {
            return true;
        }
        return r.Log.HasNextUnstableSnapshot()
            || r.Msgs.Count > 0 || r.MsgsAfterAppend.Count > 0
            || r.Log.HasNextUnstableEnts() || r.Log.HasNextCommittedEnts(ApplyUnstableEntries)
            || r.ReadStates.Count > 0;
    }

    /// <summary>
    /// The outstanding work: persist, send, apply, then call <see cref="Advance"/> (not in
    /// AsyncStorageWrites mode, where the local storage messages take its place). Every view in
    /// the Ready is valid until the next call to Ready.
    /// </summary>
    public Ready Ready()
    {
        Raft r = _raft;
        MessageArena arena = r.Arena;
        if (!_asyncStorageWrites && _readyPending)
        {
            r.Logger.Panic("two accepted Ready structs without call to Advance");
        }

        // A view of the unstable log itself: no copy (the log keeps the slots for two Readys).
        EntrySegments entries = r.Log.NextUnstableEnts();
        int committedStart = arena.Entries.Count;
        r.Log.NextCommittedEnts(ApplyUnstableEntries, arena.Entries);
        ReadOnlyMemory<Entry> committed = arena.Entries.AsMemory(committedStart, arena.Entries.Count - committedStart);

        SoftState soft = r.SoftState;
        HardState hard = r.HardState;
        Snapshot? snapshot = r.Log.HasNextUnstableSnapshot() ? r.Log.NextUnstableSnapshot() : null;
        bool mustSync = MustSync(hard, _prevHardState, entries.Length);
        HardState hardOut = hard != _prevHardState ? hard : HardState.Empty;

        ReadOnlyMemory<Message> messages = _asyncStorageWrites
            ? WithStorageMessages(arena, entries, hardOut, snapshot, committed)
            : WithResponses(arena);

        var rd = new Ready
        {
            SoftState = soft != _prevSoftState ? soft : null,
            HardState = hardOut,
            ReadStates = arena.AddReadStates(r.ReadStates),
            Entries = entries,
            Snapshot = snapshot,
            CommittedEntries = committed,
            Messages = messages,
            MustSync = mustSync,
        };
        AcceptReady(rd, snapshot);
        return rd;
    }

    /// <summary>
    /// The Ready's messages with asynchronous storage writes: the arena's list (it already holds
    /// r.Msgs) followed by the local storage append and apply messages.
    /// </summary>
    private ReadOnlyMemory<Message> WithStorageMessages(MessageArena arena, EntrySegments entries, HardState hardOut, Snapshot? snapshot, ReadOnlyMemory<Entry> committed)
    {
        MessageList msgs = arena.Messages;
        if (!entries.IsEmpty || !hardOut.IsEmpty || snapshot is not null || arena.AfterAppend.Count > 0)
        {
            msgs.Add(NewStorageAppendMsg(arena, Contiguous(arena, entries), hardOut, snapshot));
        }
        if (!committed.IsEmpty)
        {
            msgs.Add(NewStorageApplyMsg(arena, committed));
        }
        return msgs.AsMemory(0, msgs.Count);
    }

    /// <summary>
    /// The Ready's messages with synchronous storage writes (the Ready contract already makes
    /// them wait for the entries to be persisted): the arena's list followed by the responses
    /// not addressed to this node, which Advance steps instead.
    /// </summary>
    private ReadOnlyMemory<Message> WithResponses(MessageArena arena)
    {
        MessageList msgs = arena.Messages;
        MessageList after = arena.AfterAppend;
        ulong self = _raft.Id;
        if (msgs.Count == 0 && !AddressesSelf(after.Span, self))
        {
            // Only responses, none for this node (a follower's usual Ready): their list as it is.
            return after.AsMemory(0, after.Count);
        }
        foreach (ref readonly Message m in after.Span)
        {
            if (m.To != self)
            {
                msgs.Add(m);
            }
        }
        return msgs.AsMemory(0, msgs.Count);
    }

    private void AcceptReady(in Ready rd, Snapshot? snapshot)
    {
        Raft r = _raft;
        if (rd.SoftState is SoftState ss)
        {
            _prevSoftState = ss;
        }
        if (!rd.HardState.IsEmpty)
        {
            _prevHardState = rd.HardState;
        }
        r.ReadStates.Clear();
        if (!_asyncStorageWrites)
        {
            // The self-addressed ones stay in the arena handed out; Advance steps them there.
            _stepsOnAdvance = r.MsgsAfterAppend.Count > 0;
            if (NeedStorageAppendResp(snapshot))
            {
                OweStorageAppendResp(snapshot);
            }
            // Kept only when non-empty: an empty view of the arena's array would keep it alive.
            _owedApplyResp = rd.CommittedEntries.IsEmpty ? default : rd.CommittedEntries;
            _readyPending = true;
        }
        r.Log.AcceptUnstable();
        if (!rd.CommittedEntries.IsEmpty)
        {
            ReadOnlySpan<Entry> ents = rd.CommittedEntries.Span;
            ulong size = EntrySizes.EntsSize(ents);
            r.Log.AcceptApplying(ents[^1].Index, size, ApplyUnstableEntries);
            // Advance acknowledges the same entries: their size is not computed twice.
            _owedApplySize = size;
        }
        // What this Ready exposes stays in the arena just filled; new work goes to the other.
        r.RotateArena();
    }

    /// <summary>
    /// Tells the node the last Ready was handled: entries and hard state persisted, messages
    /// sent, committed entries applied. Not used with AsyncStorageWrites.
    /// </summary>
    public void Advance()
    {
        if (_asyncStorageWrites)
        {
            _raft.Logger.Panic("Advance must not be called when using AsyncStorageWrites");
        }
        if (_stepsOnAdvance)
        {
            _stepsOnAdvance = false;
            // Stepping sends into the current arena, never into this list.
            MessageList after = _raft.HandedOutArena.AfterAppend;
            for (int i = 0; i < after.Count; i++)
            {
                if (after[i].To == _raft.Id)
                {
                    _raft.Step(after[i]);
                }
            }
        }
        if (_owesAppendResp)
        {
            _owesAppendResp = false;
            Message m = StorageAppendResp(_appendRespIndex, _appendRespLogTerm, _appendRespTerm, _appendRespSnapshot);
            _appendRespSnapshot = null;
            _raft.Step(m);
        }
        if (!_owedApplyResp.IsEmpty)
        {
            // What stepping NewStorageApplyResp(_owedApplyResp) does, with the size already known.
            ReadOnlyMemory<Entry> applied = _owedApplyResp;
            _owedApplyResp = default;
            _raft.StorageApplied(applied.Span, _owedApplySize);
        }
        _readyPending = false;
    }

    private static bool AddressesSelf(ReadOnlySpan<Message> messages, ulong self)
    {
        foreach (ref readonly Message m in messages)
        {
            if (m.To == self)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Committed entries may be applied before they are locally durable only with synchronous writes.</summary>
    private bool ApplyUnstableEntries => !_asyncStorageWrites;

    /// <summary>Whether the Ready must be synced to disk: entries, or a changed term or vote.</summary>
    public static bool MustSync(HardState st, HardState prev, int entryCount) =>
        entryCount != 0 || st.Vote != prev.Vote || st.Term != prev.Term;

    /// <summary>
    /// The entries as one piece, for a message: the ring's own memory unless the range wraps
    /// (once per lap of the ring), then a copy in the arena.
    /// </summary>
    private static ReadOnlyMemory<Entry> Contiguous(MessageArena arena, EntrySegments entries)
    {
        if (entries.IsSingleSegment)
        {
            return entries.First;
        }
        int start = arena.Entries.Count;
        arena.Entries.AddRange(entries);
        return arena.Entries.AsMemory(start, entries.Length);
    }

    private bool NeedStorageAppendResp(Snapshot? snapshot) =>
        _raft.Log.HasNextOrInProgressUnstableEnts() || snapshot is not null;

    private Message NewStorageAppendMsg(MessageArena arena, ReadOnlyMemory<Entry> entries, HardState hs, Snapshot? snapshot)
    {
        Raft r = _raft;
        var m = new Message
        {
            Type = MessageType.StorageAppend,
            To = LocalIds.LocalAppendThread,
            From = r.Id,
            Entries = entries,
            Snapshot = snapshot,
        };
        if (!hs.IsEmpty)
        {
            m.Term = hs.Term;
            m.Vote = hs.Vote;
            m.Commit = hs.Commit;
        }
        // The responses are delivered once the write is durable; the self-acknowledgement of
        // stability comes last so the leader's own MsgAppResp still finds the entries unstable.
        int start = arena.Responses.Count;
        arena.Responses.AddRange(r.MsgsAfterAppend.Span);
        if (NeedStorageAppendResp(snapshot))
        {
            arena.Responses.Add(NewStorageAppendResp(snapshot));
        }
        m.Responses = arena.Responses.AsMemory(start, arena.Responses.Count - start);
        return m;
    }

    /// <summary>
    /// The acknowledgement that everything handed out so far is durable. It names the last
    /// (index, term) and the current term: if the term changed meanwhile the entries may have
    /// been overwritten, and the acknowledgement is ignored (see etcd's ABA discussion).
    /// </summary>
    private Message NewStorageAppendResp(Snapshot? snapshot)
    {
        Raft r = _raft;
        ulong index = 0, logTerm = 0;
        if (r.Log.HasNextOrInProgressUnstableEnts())
        {
            (index, logTerm) = r.Log.Tip();
        }
        return StorageAppendResp(index, logTerm, r.Term, snapshot);
    }

    /// <summary>Records the acknowledgement <see cref="NewStorageAppendResp"/> would build, for Advance to step.</summary>
    private void OweStorageAppendResp(Snapshot? snapshot)
    {
        Raft r = _raft;
        ulong index = 0, logTerm = 0;
        if (r.Log.HasNextOrInProgressUnstableEnts())
        {
            (index, logTerm) = r.Log.Tip();
        }
        _owesAppendResp = true;
        _appendRespIndex = index;
        _appendRespLogTerm = logTerm;
        _appendRespTerm = r.Term;
        _appendRespSnapshot = snapshot;
    }

    private Message StorageAppendResp(ulong index, ulong logTerm, ulong term, Snapshot? snapshot) => new()
    {
        Type = MessageType.StorageAppendResponse,
        To = _raft.Id,
        From = LocalIds.LocalAppendThread,
        Term = term,
        Index = index,
        LogTerm = logTerm,
        Snapshot = snapshot,
    };

    private Message NewStorageApplyMsg(MessageArena arena, ReadOnlyMemory<Entry> committed)
    {
        Raft r = _raft;
        Message resp = NewStorageApplyResp(committed);
        return new Message
        {
            Type = MessageType.StorageApply,
            To = LocalIds.LocalApplyThread,
            From = r.Id,
            Entries = committed,
            Responses = arena.AddResponses(new ReadOnlySpan<Message>(in resp)),
        };
    }

    private Message NewStorageApplyResp(ReadOnlyMemory<Entry> committed) => new()
    {
        Type = MessageType.StorageApplyResponse,
        To = _raft.Id,
        From = LocalIds.LocalApplyThread,
        Entries = committed,
    };

    /// <summary>Id, term, vote, commit, leader, role, applied index and transfer target; no allocation.</summary>
    public BasicStatus BasicStatus() =>
        new(_raft.Id, _raft.HardState, _raft.SoftState, _raft.Log.Applied, _raft.LeadTransferee);

    /// <summary>The basic status plus the configuration and, on the leader, every peer's progress.</summary>
    public Status Status()
    {
        ProgressMap? progress = _raft.State == NodeRole.Leader ? _raft.Trk.Progress.Clone() : null;
        return new()
        {
            Basic = BasicStatus(),
            ConfState = _raft.Trk.ConfState(),
            Peers = progress is null ? null : PeerViews(progress),
            Config = _raft.Trk.Config.Clone(),
            Progress = progress,
        };
    }

    private static Dictionary<ulong, PeerProgress> PeerViews(ProgressMap progress)
    {
        var peers = new Dictionary<ulong, PeerProgress>(progress.Count);
        foreach (KeyValuePair<ulong, Progress> p in progress)
        {
            Progress pr = p.Value;
            peers[p.Key] = new PeerProgress(pr.Match, pr.Next, pr.State, pr.IsLearner, pr.RecentActive, pr.IsPaused());
        }
        return peers;
    }

    /// <summary>Reports that the last message to <paramref name="id"/> could not be delivered.</summary>
    public void ReportUnreachable(ulong id) => _raft.Step(new Message { Type = MessageType.Unreachable, From = id });

    /// <summary>Reports whether a snapshot sent to <paramref name="id"/> arrived.</summary>
    public void ReportSnapshot(ulong id, SnapshotStatus status) =>
        _raft.Step(new Message { Type = MessageType.SnapshotStatus, From = id, Reject = status == SnapshotStatus.Failure });

    /// <summary>Asks the leader to hand leadership to <paramref name="transferee"/>.</summary>
    public void TransferLeader(ulong transferee) => _raft.Step(new Message { Type = MessageType.TransferLeader, From = transferee });

    /// <summary>Makes a follower forget its leader (e.g. when it knows the leader is gone).</summary>
    public StepResult ForgetLeader() => _raft.Step(new Message { Type = MessageType.ForgetLeader });

    /// <summary>
    /// For a host that stops ticking idle nodes (quiescence): whether this node, as leader or
    /// follower, has nothing left to do (see <see cref="Raft.IsQuietLeader"/> and
    /// <see cref="Raft.IsQuietFollower"/>). Allocation-free.
    /// </summary>
    internal bool IsQuiet() => _raft.State == NodeRole.Leader ? _raft.IsQuietLeader() : _raft.IsQuietFollower();

    /// <summary>Whether any of the buffers <see cref="ReleaseIdleBuffers"/> drops is allocated.</summary>
    internal bool HoldsIdleBuffers => _raft.HoldsIdleBuffers;

    /// <summary>
    /// For a host that stops ticking idle nodes: drops the buffers a quiet node does not need
    /// (message arenas, scratch lists, the empty unstable log's arrays and payload chunks); they
    /// grow again when the node works, so a woken node allocates while it warms up. Does nothing
    /// and returns false while a Ready is pending or not yet advanced. Allocation-free.
    /// </summary>
    internal bool ReleaseIdleBuffers()
    {
        if (_readyPending || HasReady())
        {
            return false;
        }
        _raft.ReleaseIdleBuffers();
        return true;
    }

    /// <summary>
    /// For a host about to stop ticking this node: a leader serving LeaseBased reads stops trusting
    /// its lease until a quorum confirms a heartbeat round (reads take the Safe path until then).
    /// </summary>
    internal void SuspectLease() => _raft.SuspectLease();

    /// <summary>Whether the leader's lease is suspect after quiescence (tests).</summary>
    internal bool IsLeaseSuspect => _raft.IsLeaseSuspect;

    /// <summary>Requests a linearizable read; the answer arrives as a ReadState tagged with <paramref name="requestCtx"/>.</summary>
    public void ReadIndex(ReadOnlyMemory<byte> requestCtx)
    {
        _proposal[0] = new Entry(0, 0, EntryType.Normal, requestCtx);
        _raft.Step(new Message { Type = MessageType.ReadIndex, Entries = _proposal });
        _proposal[0] = default;
    }

    /// <summary>
    /// Bootstraps a brand-new node's membership from a list of voters (etcd's Bootstrap): the
    /// storage must be empty.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="peers"/> is empty.</exception>
    /// <exception cref="InvalidOperationException">The storage already holds entries.</exception>
    public void Bootstrap(ReadOnlySpan<ulong> peers)
    {
        if (peers.IsEmpty)
        {
            throw new ArgumentException("must provide at least one peer to Bootstrap", nameof(peers));
        }
        if (_raft.Log.Storage.LastIndex() != 0)
        {
            throw new InvalidOperationException("can't bootstrap a nonempty Storage");
        }
        // Nothing has been persisted: start from an empty hard state so the first Ready emits one.
        _prevHardState = HardState.Empty;
        _raft.BootstrapEntries(peers);
    }

    /// <summary>Test hook: sets the randomized election timeout.</summary>
    internal void SetRandomizedElectionTimeout(int ticks) => _raft.RandomizedElectionTimeout = ticks;

    internal Raft Raft => _raft;
}
