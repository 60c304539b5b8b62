using FastRaft.Core.ConfChanges;
using FastRaft.Core.Log;
using FastRaft.Core.Logging;
using FastRaft.Core.Storage;
using FastRaft.Core.Tracker;
using FastRaft.Protocol;
using Microsoft.Extensions.Logging;

namespace FastRaft.Core;

/// <summary>
/// The Raft state machine (etcd's raft struct): roles, elections, replication, commitment,
/// reads, leader transfer and membership. Deterministic: no threads, clocks or I/O; time is
/// <see cref="Tick"/>, input is <see cref="Step"/>, output accumulates in <see cref="Msgs"/>,
/// <see cref="MsgsAfterAppend"/>, the log and the read states until the RawNode hands them out.
/// This file holds the state and the transitions between roles; the other parts of the class
/// hold stepping, replication, elections, reads and configuration changes.
/// </summary>
internal sealed partial class Raft
{
    internal readonly ulong Id;
    internal ulong Term;
    internal ulong Vote;

    internal readonly RaftLog Log;
    internal ProgressTracker Trk;
    internal NodeRole State;

    /// <summary>Whether this node is a learner in the current configuration.</summary>
    internal bool IsLearner;

    /// <summary>
    /// Messages to send now (they never target this node). They are written straight into the
    /// current arena's message list, which the next Ready hands out as it is (no copy); the
    /// arena rotation at each Ready starts an empty one.
    /// </summary>
    internal MessageList Msgs => _arenas[_arenaIndex].Messages;

    /// <summary>
    /// Responses that may only leave once the unstable state they depend on (votes, appended
    /// entries) is durable: MsgAppResp, MsgVoteResp, MsgPreVoteResp. May target this node.
    /// Kept in the current arena too, so the Ready can hand them out (and Advance step the
    /// self-addressed ones) without copying them.
    /// </summary>
    internal MessageList MsgsAfterAppend => _arenas[_arenaIndex].AfterAppend;

    internal readonly List<ReadState> ReadStates = [];

    internal ulong Lead;
    internal ulong LeadTransferee;

    /// <summary>At or above the index of the latest pending configuration change; see etcd's pendingConfIndex.</summary>
    internal ulong PendingConfIndex;

    internal int ElectionElapsed;
    private int _heartbeatElapsed;
    internal int RandomizedElectionTimeout;

    /// <summary>Estimated payload bytes of the leader's uncommitted tail.</summary>
    private ulong _uncommittedSize;

    private readonly ulong _maxMsgSize;
    private readonly ulong _maxUncommittedSize;
    private readonly bool _checkQuorum;
    private readonly bool _preVote;
    private readonly int _heartbeatTimeout;
    private readonly int _electionTimeout;
    private readonly bool _disableProposalForwarding;
    private readonly bool _disableConfChangeValidation;
    private readonly bool _stepDownOnRemoval;
    private readonly int _snapshotStatusTimeoutTicks;
    private readonly bool _stepDownAfterCatchUp;

    /// <summary>A removed leader waiting for the new configuration's voters to catch up (StepDownAfterCatchUp).</summary>
    private bool _stepDownPending;
    private int _stepDownWaitTicks;
    private readonly Random _random;
    private readonly RaftLogger _log;
    private readonly ReadOnly _readOnly;

    /// <summary>ReadIndex requests held back until the leader commits an entry of its own term.</summary>
    private readonly MessageList _pendingReadIndexMessages = new();

    private readonly MessageArena[] _arenas = [new MessageArena(), new MessageArena()];
    private int _arenaIndex;

    /// <summary>Scratch space for entries being proposed or read for inspection.</summary>
    private readonly EntryBuffer _scratch = new(0);
    private readonly List<ReadOnly.Request> _confirmedReads = [];

    internal Raft(RaftConfig config)
    {
        config.Validate();
        RaftConfig c = config.WithDefaults();
        IStorage storage = c.Storage!;
        _log = RaftLogger.For(c.Logger);
        Log = new RaftLog(storage, _log, c.MaxCommittedSizePerReady);
        if (storage.InitialState(out HardState hs, out ConfState cs) != StorageStatus.Ok)
        {
            throw new InvalidOperationException("storage could not provide its initial state");
        }

        Id = c.Id;
        Lead = LocalIds.None;
        _maxMsgSize = c.MaxSizePerMsg;
        _maxUncommittedSize = c.MaxUncommittedEntriesSize;
        Trk = new ProgressTracker(c.MaxInflightMsgs, c.MaxInflightBytes);
        _electionTimeout = c.ElectionTick;
        _heartbeatTimeout = c.HeartbeatTick;
        _checkQuorum = c.CheckQuorum;
        _preVote = c.PreVote;
        _readOnly = new ReadOnly(c.ReadOnlyOption);
        _disableProposalForwarding = c.DisableProposalForwarding;
        _disableConfChangeValidation = c.DisableConfChangeValidation;
        _stepDownOnRemoval = c.StepDownOnRemoval;
        _snapshotStatusTimeoutTicks = c.SnapshotStatusTimeoutTicks;
        _stepDownAfterCatchUp = c.StepDownAfterCatchUp;
        _random = c.Random ?? new Random(unchecked((int)(c.Id * 0x9E3779B97F4A7C15UL >> 32)));

        (ulong lastIndex, ulong lastTerm) = Log.Tip();
        if (lastTerm > RaftLimits.MaxTerm || lastIndex > RaftLimits.MaxIndex)
        {
            ThrowCorruptStorage($"its last entry (index {lastIndex}, term {lastTerm}) is above the maximum index or term");
        }
        ConfChangeResult restored = ConfChangeRestore.Restore(new Changer(Trk, lastIndex), cs);
        if (!restored.Ok)
        {
            _log.Panic($"unable to restore config {ConfChangeLogText.FormatConfState(cs)}: {restored.Error}");
        }
        AssertConfStatesEquivalent(cs, SwitchToConfig(restored.Config!, restored.Progress!));

        if (!hs.IsEmpty)
        {
            LoadState(hs);
        }
        if (c.Applied > 0)
        {
            Log.AppliedTo(c.Applied, 0);
        }
        BecomeFollower(Term, LocalIds.None);

        if (_log.IsEnabled(LogLevel.Information))
        {
            string peers = string.Join(",", Array.ConvertAll(Trk.VoterNodes(), static n => n.ToString("x", System.Globalization.CultureInfo.InvariantCulture)));
            _log.Info($"newRaft {Id:x} [peers: [{peers}], term: {Term}, commit: {Log.Committed}, applied: {Log.Applied}, lastindex: {lastIndex}, lastterm: {lastTerm}]");
        }
    }

    internal bool HasLeader => Lead != LocalIds.None;

    internal RaftLogger Logger => _log;

    internal SoftState SoftState => new(Lead, State);

    internal HardState HardState => new(Term, Vote, Log.Committed);

    internal ReadOnlyOption ReadOnlyOption => _readOnly.Option;

    /// <summary>The arena that messages and Ready contents are being built in.</summary>
    internal MessageArena Arena => _arenas[_arenaIndex];

    /// <summary>The arena the last Ready handed out (intact until the next Ready).</summary>
    internal MessageArena HandedOutArena => _arenas[_arenaIndex ^ 1];

    /// <summary>Switches to the other arena, clearing it: called once per Ready.</summary>
    internal void RotateArena()
    {
        _arenaIndex ^= 1;
        _arenas[_arenaIndex].Clear();
        Log.AdvanceEpoch();
    }

    internal void Tick()
    {
        if (State == NodeRole.Leader)
        {
            TickHeartbeat();
        }
        else
        {
            TickElection();
        }
    }

    /// <summary>Followers and candidates: campaign after the randomized election timeout.</summary>
    private void TickElection()
    {
        ElectionElapsed++;
        if (Promotable() && PastElectionTimeout)
        {
            ElectionElapsed = 0;
            Step(new Message { From = Id, Type = MessageType.Hup });
        }
    }

    /// <summary>Leaders: heartbeat every heartbeat timeout, check quorum every election timeout.</summary>
    private void TickHeartbeat()
    {
        _heartbeatElapsed++;
        ElectionElapsed++;

        if (ElectionElapsed >= _electionTimeout)
        {
            ElectionElapsed = 0;
            if (_checkQuorum)
            {
                Step(new Message { From = Id, Type = MessageType.CheckQuorum });
            }
            // A transfer that did not finish within an election timeout is abandoned.
            if (State == NodeRole.Leader && LeadTransferee != LocalIds.None)
            {
                AbortLeaderTransfer();
            }
        }

        if (State != NodeRole.Leader)
        {
            return;
        }

        if (_snapshotStatusTimeoutTicks > 0)
        {
            ExpireUnreportedSnapshots();
        }

        if (_stepDownPending)
        {
            _stepDownWaitTicks++;
            FinishStepDownIfReady();
            if (State != NodeRole.Leader)
            {
                return;
            }
        }

        if (_heartbeatElapsed >= _heartbeatTimeout)
        {
            _heartbeatElapsed = 0;
            Step(new Message { From = Id, Type = MessageType.Beat });
        }
    }

    /// <summary>
    /// A snapshot whose status never arrives would pause its follower forever; after the
    /// configured number of ticks it is treated as failed, so the follower is probed again
    /// (after the next heartbeat response) and gets a fresh snapshot if it still needs one.
    /// </summary>
    private void ExpireUnreportedSnapshots()
    {
        foreach (KeyValuePair<ulong, Progress> kv in Trk.Progress)
        {
            Progress pr = kv.Value;
            if (pr.State != ProgressState.Snapshot || ++pr.SnapshotWaitTicks < _snapshotStatusTimeoutTicks)
            {
                continue;
            }
            _log.Debug($"{Id:x} no status for the snapshot sent to {kv.Key:x} after {pr.SnapshotWaitTicks} ticks; treating it as failed");
            pr.PendingSnapshot = 0;
            pr.BecomeProbe();
            pr.MsgAppFlowPaused = true;
        }
    }

    internal void BecomeFollower(ulong term, ulong lead)
    {
        Reset(term);
        Lead = lead;
        State = NodeRole.Follower;
        _log.Info($"{Id:x} became follower at term {Term}");
    }

    private void BecomeCandidate()
    {
        if (State == NodeRole.Leader)
        {
            _log.Panic("invalid transition [leader -> candidate]");
        }
        Reset(Term + 1);
        Vote = Id;
        State = NodeRole.Candidate;
        _log.Info($"{Id:x} became candidate at term {Term}");
    }

    private void BecomePreCandidate()
    {
        if (State == NodeRole.Leader)
        {
            _log.Panic("invalid transition [leader -> pre-candidate]");
        }
        // Unlike a candidate, a pre-candidate keeps its term and vote.
        Trk.ResetVotes();
        Lead = LocalIds.None;
        State = NodeRole.PreCandidate;
        _log.Info($"{Id:x} became pre-candidate at term {Term}");
    }

    private void BecomeLeader()
    {
        if (State == NodeRole.Follower)
        {
            _log.Panic("invalid transition [follower -> leader]");
        }
        Reset(Term);
        Lead = Id;
        State = NodeRole.Leader;

        // The leader trivially replicates to itself, and is always recently active.
        Progress self = Trk.Progress[Id];
        self.BecomeReplicate();
        self.RecentActive = true;

        // Any entry in the log may be an unapplied configuration change; be conservative.
        PendingConfIndex = Log.LastIndex();

        _scratch.Clear();
        _scratch.Add(new Entry(0, 0));
        if (!AppendEntry(_scratch))
        {
            _log.Panic("empty entry was dropped");
        }
        _log.Info($"{Id:x} became leader at term {Term}");
    }

    private void Reset(ulong term)
    {
        if (Term != term)
        {
            Term = term;
            Vote = LocalIds.None;
        }
        Lead = LocalIds.None;

        ElectionElapsed = 0;
        _heartbeatElapsed = 0;
        ResetRandomizedElectionTimeout();

        AbortLeaderTransfer();

        Trk.ResetVotes();
        ulong last = Log.LastIndex();
        foreach (KeyValuePair<ulong, Progress> kv in Trk.Progress)
        {
            Progress pr = kv.Value;
            pr.ResetForNewTerm(kv.Key == Id ? last : 0, last + 1);
        }

        PendingConfIndex = 0;
        _uncommittedSize = 0;
        _stepDownPending = false;
        _leaseSuspect = false;
        _readOnly.Reset();
    }

    /// <summary>
    /// Takes on the stored hard state. A term past the bound or a commit index outside the stored
    /// log can only come from corrupted storage (or a fault that wrote it): the node refuses to
    /// start on it, naming the problem, rather than panic later.
    /// </summary>
    private void LoadState(HardState state)
    {
        if (state.Term > RaftLimits.MaxTerm)
        {
            ThrowCorruptStorage($"its hard state's term {state.Term} is above the maximum term {RaftLimits.MaxTerm}");
        }
        if (state.Commit < Log.Committed || state.Commit > Log.LastIndex())
        {
            ThrowCorruptStorage($"its hard state's commit index {state.Commit} is outside the stored log [{Log.Committed}, {Log.LastIndex()}]");
        }
        Log.Committed = state.Commit;
        Term = state.Term;
        Vote = state.Vote;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowCorruptStorage(string problem) =>
        throw new InvalidDataException($"raft node {Id:x} cannot start from its storage: {problem}");

    private bool PastElectionTimeout => ElectionElapsed >= RandomizedElectionTimeout;

    private void ResetRandomizedElectionTimeout() =>
        RandomizedElectionTimeout = _electionTimeout + _random.Next(_electionTimeout);

    /// <summary>Whether this node may become leader: a voter with no snapshot being applied.</summary>
    internal bool Promotable() =>
        Trk.Progress.TryGetValue(Id, out Progress? pr) && !pr.IsLearner && !Log.HasNextOrInProgressSnapshot();

    private void AbortLeaderTransfer() => LeadTransferee = LocalIds.None;

    private void AssertConfStatesEquivalent(ConfState expected, ConfState actual)
    {
        if (!expected.Equivalent(actual))
        {
            _log.Panic($"ConfStates not equivalent after sorting:\n{ConfChangeLogText.FormatConfState(expected)}\n{ConfChangeLogText.FormatConfState(actual)}");
        }
    }
}
