using FastRaft.Core;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.Groups;
using FastRaft.Protocol;

namespace FastRaft.Hosting;

// Quiescence (RaftNodeOptions.QuiesceAfterTicks): a node with nothing to do stops ticking, and its
// runner stops waking for it, until a request or a message other than a routine heartbeat comes,
// or (a follower) its leader's node is found dead. Everything here runs on the runner's thread.
public sealed partial class RaftNodeAgent<TResult> : IDormantAgent
{
    /// <summary>Ticks of nothing to do before quiescing; 0: never.</summary>
    private int _quiesceAfterTicks;
    private INodeLiveness? _liveness;

    /// <summary>How often a quiesced follower asks whether its leader's node lives (an election timeout, in timestamp units).</summary>
    private long _livenessPeriod;

    private bool _quiesced;

    /// <summary>
    /// How many more times this quiescence may give its buffers back again after input that left
    /// it quiet (routine heartbeats from a leader that has not quiesced yet regrow a follower's).
    /// Bounded, so a follower of a leader that never quiesces keeps its buffers, not churns them.
    /// </summary>
    private int _quietReleasesLeft;

    private const int QuietReleases = 2;

    /// <summary>Whether this node quiesced as the leader (it then has no leader to watch).</summary>
    private bool _quiescedAsLeader;
    private int _quietTicks;

    /// <summary>When a quiesced node must run again even without input (a follower's next liveness check).</summary>
    private long _quiescedDeadline = long.MaxValue;

    /// <summary>Requests taken off the queue so far (with the stepper's eventful messages: what breaks the quiet).</summary>
    private long _requestsTaken;

    // What the node looked like at the last check: any change breaks the quiet.
    private long _eventsSeen;
    private ulong _termSeen;
    private ulong _leadSeen;

    /// <summary>Whether the node is quiesced (not ticking) as of its last duty cycle (a hint from other threads).</summary>
    public bool IsQuiesced => Volatile.Read(ref _quiesced);

    /// <summary>
    /// A group on a host's shared transport: its view only pushes (the hub delivers into the inbox,
    /// which wakes the view's wait source, as requests, reports and a stop do); nothing is polled.
    /// </summary>
    private bool _inputWakesOnlyThroughWaitSource;

    /// <inheritdoc />
    bool IDormantAgent.InputWakesOnlyThroughWaitSource => _inputWakesOnlyThroughWaitSource;

    private void InitQuiescence(RaftNodeOptions options)
    {
        _inputWakesOnlyThroughWaitSource = _transport is IPushOnlyTransport { OnlyPushes: true } && ReferenceEquals(_transport.WaitSource, _waitSource);
        _quiesceAfterTicks = options.QuiesceAfterTicks;
        _liveness = options.Liveness;
        _livenessPeriod = Math.Max(1, _tickInterval * _config.ElectionTick);
    }

    /// <inheritdoc />
    bool IDormantAgent.IsDormant(long now) => !_stopRequested && (_quiesced ? IsDormant(now) : StillIdle(now));

    /// <inheritdoc />
    int IDormantAgent.OnQuietDeadline(long now) => _quiesced && !_stopRequested ? CheckLeaderLiveness(now) : DoWork(now);

    /// <summary>Quiesced and nothing to do: no deadline reached and nothing arrived (see <see cref="NothingArrived"/>).</summary>
    private bool IsDormant(long now) => now < _quiescedDeadline && NothingArrived(now);

    /// <summary>
    /// Nothing queued, and nothing arrived in a polled transport (which holds its input until
    /// polled: what the poll delivers is stepped at once, and the duty cycle that follows sees it).
    /// Allocates nothing.
    /// </summary>
    private bool NothingArrived(long now) =>
        _inbox.IsEmpty && _requests.IsEmpty && !_stepper.HasRefusals && _inbox.Poll(_transport, now) == 0 && _inbox.IsEmpty;

    /// <summary>
    /// A quiesced node whose deadline came with nothing else: a follower asks whether its leader's
    /// node lives (waking to tick and campaign if not), then sets its next look. Nothing else can
    /// have changed, so nothing else is looked at (thousands of followers do this together).
    /// </summary>
    private int CheckLeaderLiveness(long now)
    {
        // Only the liveness: the configuration cannot change while quiesced (that takes an entry,
        // which wakes the node), and reading it here costs thousands of followers cache misses.
        if (!_quiescedAsLeader && !_liveness!.IsLive(_leadSeen))
        {
            _counters.LivenessWakes++;
            Wake(now);
            return 1;
        }
        _quiescedDeadline = NextLivenessCheck(now);
        return 0;
    }

    /// <summary>After a duty cycle that ticked: one more tick of nothing to do, or the count starts over.</summary>
    private void CountQuietTick(long now)
    {
        if (!Unchanged() || !IsIdle(out bool leaderDead) || leaderDead)
        {
            _quietTicks = 0;
            return;
        }
        if (++_quietTicks >= _quiesceAfterTicks)
        {
            Quiesce(now);
        }
    }

    /// <summary>After a quiesced node's duty cycle: wake if anything happened, check the leader's liveness when due.</summary>
    private void CheckQuiesced(long now)
    {
        bool unchanged = Unchanged();
        if (!unchanged || !IsIdle(out bool leaderDead))
        {
            Wake(now);
            return;
        }
        if (leaderDead)
        {
            // The leader stopped ticking too, or died: either way this follower must be able to campaign.
            _counters.LivenessWakes++;
            Wake(now);
            return;
        }
        if (now >= _quiescedDeadline)
        {
            _quiescedDeadline = NextLivenessCheck(now);
        }
        if (_quietReleasesLeft > 0 && _raw.HoldsIdleBuffers)
        {
            _quietReleasesLeft--;
            ReleaseIdleBuffers();
        }
    }

    /// <summary>No eventful message, request, new term or new leader since the last check (and records the present).</summary>
    private bool Unchanged()
    {
        BasicStatus st = _raw.BasicStatus();
        long events = _stepper.Eventful + _requestsTaken;
        bool unchanged = events == _eventsSeen && st.HardState.Term == _termSeen && st.SoftState.Lead == _leadSeen;
        _eventsSeen = events;
        _termSeen = st.HardState.Term;
        _leadSeen = st.SoftState.Lead;
        return unchanged;
    }

    /// <summary>
    /// Nothing to do in the core (see <see cref="RawNode.IsQuiet"/>) or here (no request queued or
    /// unanswered, no transfer, no input waiting); <paramref name="leaderDead"/>: a follower whose
    /// leader's node is not live.
    /// </summary>
    private bool IsIdle(out bool leaderDead)
    {
        leaderDead = false;
        if (_raw.HasReady() || !_raw.IsQuiet() || !_requests.IsEmpty || _tracker.HasOutstanding
            || !_transfers.IsEmpty || !_inbox.IsEmpty || _stepper.HasRefusals)
        {
            return false;
        }
        ulong lead = _leadSeen;
        leaderDead = lead != _raw.Id && LeaderGone(lead);
        return true;
    }

    /// <summary>
    /// A follower's leader can no longer lead it: its node is not live, or it is no voter of this
    /// follower's configuration (a leader that removed itself steps down without a word, and its
    /// node, running other groups, lives on: liveness alone would keep the group quiet and
    /// leaderless). Either way the follower must tick, so that it can campaign.
    /// </summary>
    private bool LeaderGone(ulong lead) => !_liveness!.IsLive(lead) || !IsVoter(_applier.ConfState, lead);

    private static bool IsVoter(ConfState conf, ulong id) =>
        conf.Voters.AsSpan().Contains(id) || conf.VotersOutgoing.AsSpan().Contains(id);

    private void Quiesce(long now)
    {
        _quiesced = true;
        _quietTicks = 0;
        _counters.Quiesces++;
        _quiescedAsLeader = _leadSeen == _raw.Id;
        if (_quiescedAsLeader)
        {
            // Nothing will tick CheckQuorum: the lease is not to be trusted after this.
            _raw.SuspectLease();
            _quiescedDeadline = long.MaxValue;
        }
        else
        {
            _quiescedDeadline = NextLivenessCheck(now);
        }
        _quietReleasesLeft = QuietReleases;
        ReleaseIdleBuffers();
    }

    /// <summary>Whether the buffers a quiet node gives back are allocated (tests).</summary>
    internal bool HoldsIdleBuffers => _raw.HoldsIdleBuffers || _dispatcher.HoldsScratch || _inbox.HoldsScratch;

    /// <summary>
    /// A node going quiet gives back the buffers it does not need while quiesced (the core's
    /// message arenas and unstable log arrays, the request and inbox scratch, empty queues): with
    /// thousands of idle groups in a process they are most of its heap. They grow again when the
    /// node works, so a wake allocates while it warms up; a quiesced node allocates nothing.
    /// Everything released is empty here (cleared after each duty cycle), and nothing handed out
    /// is reused: views of dropped arrays keep them alive.
    /// </summary>
    private void ReleaseIdleBuffers()
    {
        if (!_raw.ReleaseIdleBuffers())
        {
            return;
        }
        _dispatcher.ReleaseScratch();
        _inbox.ReleaseScratch();
        _tracker.ReleaseIdleBuffers();
        _applier.ReleaseScratch();
    }

    private void Wake(long now)
    {
        _quiesced = false;
        _quietTicks = 0;
        _quiescedDeadline = long.MaxValue;
        _counters.Wakes++;
        // Ticks resume one interval from now (a fresh phase: the ticks missed while quiesced are not owed).
        _nextTick = now + _tickInterval;
    }

    /// <summary>
    /// The next multiple of the liveness period: every quiesced follower on one clock shares it, so
    /// a runner of thousands wakes once per period for all of them, not once for each.
    /// </summary>
    private long NextLivenessCheck(long now) => ((now / _livenessPeriod) + 1) * _livenessPeriod;
}
