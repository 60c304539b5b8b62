using FastRaft.Core;
using FastRaft.Core.Quorum;
using FastRaft.Core.Storage;
using FastRaft.Protocol;

namespace FastRaft.Simulation;

/// <summary>
/// Raft's safety properties, checked incrementally as the run goes (each check is cheap, so
/// all of them run at every step):
/// <list type="bullet">
/// <item>election safety: at most one leader per term;</item>
/// <item>log matching: an (index, term) pair names one entry, whose predecessor has one term —
/// which, by induction, makes two logs that share an (index, term) identical up to it;</item>
/// <item>leader completeness: a leader holds every entry committed in its term or earlier;</item>
/// <item>state machine safety: every apply at an index is the same entry and leads to the same state;</item>
/// <item>monotonicity: commit and applied indexes never go backwards (durable commit across restarts);</item>
/// <item>quorum: an index becomes committed only once a quorum of the committing node's
/// configuration durably holds the entry, and only committed entries are applied.</item>
/// </list>
/// </summary>
internal sealed class Invariants(IReadOnlyDictionary<ulong, SimNode> nodes, string prefix)
{
    private readonly Dictionary<ulong, ulong> _leaderOfTerm = [];
    private readonly Dictionary<(ulong Index, ulong Term), (ulong Hash, ulong PrevTerm)> _entries = [];
    private readonly Dictionary<ulong, (ulong Term, ulong Hash)> _committed = [];
    private readonly SortedDictionary<ulong, ulong> _maxCommitByTerm = [];
    private readonly Dictionary<ulong, ulong> _stateDigest = [];
    private readonly Dictionary<ulong, ulong> _durableCommit = [];
    private readonly Dictionary<ulong, (int Incarnation, ulong Commit, ulong Applied)> _volatile = [];
    private readonly EntryBuffer _scratch = new(64);

    public ulong MaxCommitted { get; private set; }

    public int LeadersSeen => _leaderOfTerm.Count;

    /// <summary>The highest term in which some node has been leader.</summary>
    public ulong MaxLeaderTerm { get; private set; }

    /// <summary>Entries up to <paramref name="index"/> were committed by bootstrapping (every initial voter writes the same ones).</summary>
    public void Bootstrapped(ulong index) => MaxCommitted = index;

    public static ulong EntryHash(in Entry e) => Fnv.Hash(e.Data.Span, Fnv.Mix(Fnv.Offset, (ulong)e.Type));

    /// <summary>After every step: election safety and in-memory monotonicity, from each running node's status.</summary>
    public void AfterStep()
    {
        foreach ((ulong id, SimNode n) in nodes)
        {
            if (n.Raw is not RawNode raft)
            {
                continue;
            }
            BasicStatus st = raft.BasicStatus();
            if (st.SoftState.Role == NodeRole.Leader)
            {
                if (_leaderOfTerm.TryGetValue(st.HardState.Term, out ulong other) && other != id)
                {
                    Fail("election safety", $"{prefix}nodes {other} and {id} are both leader in term {st.HardState.Term}");
                }
                _leaderOfTerm[st.HardState.Term] = id;
                MaxLeaderTerm = Math.Max(MaxLeaderTerm, st.HardState.Term);
            }
            if (_volatile.TryGetValue(id, out var prev) && prev.Incarnation == n.Incarnation)
            {
                if (st.HardState.Commit < prev.Commit)
                {
                    Fail("commit monotonicity", $"node {n} commit went from {prev.Commit} to {st.HardState.Commit}");
                }
                if (st.Applied < prev.Applied)
                {
                    Fail("apply monotonicity", $"node {n} applied went from {prev.Applied} to {st.Applied}");
                }
            }
            _volatile[id] = (n.Incarnation, st.HardState.Commit, st.Applied);
        }
    }

    /// <summary>After a Ready was saved: log matching of the new entries, durable commit monotonicity.</summary>
    public void AfterSave(SimNode n, HardState hs, EntrySegments entries)
    {
        foreach (ref readonly Entry e in entries)
        {
            CheckEntry(n, e);
        }
        if (!hs.IsEmpty)
        {
            ulong before = _durableCommit.GetValueOrDefault(n.Id);
            if (hs.Commit < before)
            {
                Fail("commit monotonicity", $"node {n} persisted commit {hs.Commit} after {before}");
            }
            _durableCommit[n.Id] = hs.Commit;
        }
    }

    private void CheckEntry(SimNode n, in Entry e)
    {
        ulong hash = EntryHash(e);
        ulong prevTerm = ulong.MaxValue;
        if (e.Index > 1 && n.Storage.Term(e.Index - 1, out ulong pt) == StorageStatus.Ok)
        {
            prevTerm = pt;
        }
        if (_entries.TryGetValue((e.Index, e.Term), out var known))
        {
            if (known.Hash != hash)
            {
                Fail("log matching", $"node {n} holds a different entry at index {e.Index} term {e.Term} than another node");
            }
            if (known.PrevTerm != ulong.MaxValue && prevTerm != ulong.MaxValue && known.PrevTerm != prevTerm)
            {
                Fail("log matching", $"node {n} has entry {e.Index}/{e.Term} after an entry of term {prevTerm}, another node after term {known.PrevTerm}");
            }
            if (known.PrevTerm == ulong.MaxValue && prevTerm != ulong.MaxValue)
            {
                _entries[(e.Index, e.Term)] = (hash, prevTerm);
            }
        }
        else
        {
            _entries[(e.Index, e.Term)] = (hash, prevTerm);
        }
    }

    /// <summary>
    /// A node's commit index moved to <paramref name="commit"/> (its Ready was just saved). An index
    /// beyond everything committed so far must be held by a quorum of this node's configuration;
    /// the entries up to it become the committed log, which must agree with what others committed.
    /// </summary>
    public void CommitAdvanced(SimNode n, ulong term, ulong from, ulong commit)
    {
        RawNode raft = n.Raw!;
        if (commit > MaxCommitted)
        {
            if (n.Storage.Term(commit, out ulong t) != StorageStatus.Ok)
            {
                Fail("quorum", $"node {n} committed index {commit} that is not in its log");
            }
            JointConfig voters = raft.Status().Config.Voters;
            if (!HeldByMajority(voters.Incoming, commit, t) || !HeldByMajority(voters.Outgoing, commit, t))
            {
                Fail("quorum", $"node {n} committed {commit}/{t} but no quorum of {voters} durably holds it");
            }
        }
        ulong first = Math.Max(from + 1, n.Storage.FirstIndex());
        if (commit >= first)
        {
            _scratch.Clear();
            if (n.Storage.Entries(first, commit + 1, ulong.MaxValue, _scratch) != StorageStatus.Ok || _scratch.Count != (int)(commit - first + 1))
            {
                Fail("quorum", $"node {n} committed [{first}, {commit}] but its log does not hold them");
            }
            foreach (ref readonly Entry e in _scratch.Span)
            {
                RecordCommitted(n, e);
            }
        }
        MaxCommitted = Math.Max(MaxCommitted, commit);
        if (!_maxCommitByTerm.TryGetValue(term, out ulong c) || c < commit)
        {
            _maxCommitByTerm[term] = commit;
        }
    }

    private void RecordCommitted(SimNode n, in Entry e)
    {
        ulong hash = EntryHash(e);
        if (_committed.TryGetValue(e.Index, out var known))
        {
            if (known.Term != e.Term || known.Hash != hash)
            {
                Fail("state machine safety", $"node {n} committed entry {e.Index}/{e.Term} but {e.Index}/{known.Term} was committed before");
            }
            return;
        }
        _committed[e.Index] = (e.Term, hash);
    }

    private bool HeldByMajority(MajorityConfig config, ulong index, ulong term)
    {
        if (config.Count == 0)
        {
            return true;
        }
        int holders = 0;
        foreach (ulong id in config.Ids)
        {
            if (nodes.TryGetValue(id, out SimNode? v) && Holds(v.Storage, index, term))
            {
                holders++;
            }
        }
        return holders > config.Count / 2;
    }

    private static bool Holds(IStorage s, ulong index, ulong term)
    {
        StorageStatus st = s.Term(index, out ulong t);
        if (st == StorageStatus.Ok)
        {
            return t == term;
        }
        // Compacted: it was applied, hence part of a snapshot at or after it.
        return st == StorageStatus.Compacted || (s.Snapshot(out Snapshot snap) == StorageStatus.Ok && snap.Metadata.Index >= index);
    }

    /// <summary>A leader of <paramref name="term"/> (its Ready just saved) must hold every entry committed in terms up to its own.</summary>
    public void CheckLeaderCompleteness(SimNode n, ulong term)
    {
        ulong c = 0;
        foreach ((ulong t, ulong commit) in _maxCommitByTerm)
        {
            if (t > term)
            {
                break;
            }
            c = Math.Max(c, commit);
        }
        if (c == 0 || !_committed.TryGetValue(c, out var entry))
        {
            return;
        }
        StorageStatus st = n.Storage.Term(c, out ulong have);
        if (st == StorageStatus.Compacted)
        {
            return;
        }
        if (st != StorageStatus.Ok || have != entry.Term)
        {
            string what = st == StorageStatus.Ok ? $"term {have}" : "nothing";
            Fail("leader completeness", $"leader {n} of term {term} has {what} at committed index {c} (committed term {entry.Term})");
        }
    }

    /// <summary>A node applied <paramref name="e"/>, reaching state <paramref name="digest"/>.</summary>
    public void Applied(SimNode n, in Entry e, ulong digest)
    {
        if (!_committed.TryGetValue(e.Index, out var committed))
        {
            Fail("quorum", $"node {n} applied entry {e.Index}/{e.Term} that was never committed");
        }
        if (committed.Term != e.Term || committed.Hash != EntryHash(e))
        {
            Fail("state machine safety", $"node {n} applied {e.Index}/{e.Term}, but the committed entry at {e.Index} has term {committed.Term}");
        }
        RecordDigest(n, e.Index, digest);
    }

    /// <summary>A node restored a snapshot: its state must be the state every node had at that index.</summary>
    public void SnapshotRestored(SimNode n, SnapshotMetadata snap, ulong digest)
    {
        ulong i = snap.Index;
        if (i > MaxCommitted)
        {
            Fail("quorum", $"node {n} restored snapshot at {i} beyond the committed index {MaxCommitted}");
        }
        if (_committed.TryGetValue(i, out var committed) && committed.Term != snap.Term)
        {
            Fail("state machine safety", $"node {n} restored snapshot {i}/{snap.Term}, but the committed entry at {i} has term {committed.Term}");
        }
        RecordDigest(n, i, digest);
    }

    private void RecordDigest(SimNode n, ulong index, ulong digest)
    {
        if (_stateDigest.TryGetValue(index, out ulong known))
        {
            if (known != digest)
            {
                Fail("state machine safety", $"node {n} reached a different state at index {index} than another node");
            }
            return;
        }
        _stateDigest[index] = digest;
    }

    /// <summary>The applied index of a node only moves forward by one entry at a time (or jumps with a snapshot).</summary>
    public static void CheckApplyOrder(SimNode n, ulong index)
    {
        if (index != n.Applied + 1)
        {
            Fail("apply monotonicity", $"node {n} applied index {index} after {n.Applied}");
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void Fail(string invariant, string detail) => throw new InvariantViolation(invariant, detail);
}
