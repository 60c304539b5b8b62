using FastRaft.Simulation.Linearizability;

namespace FastRaft.Simulation;

/// <summary>
/// One Raft group of a run: its replicas (one per server that hosts it, keyed by node id), its
/// invariants, its clients and their history, and what its operator is doing. Groups share the
/// servers, their clocks, crashes and network, and nothing else: each is checked on its own
/// (invariants per group, linearizability per group's history), as independent Raft clusters are.
/// A single-group run has one group whose id is 0 (the wire's "no group"), so it behaves exactly
/// as the simulation did before there were groups.
/// </summary>
internal sealed class SimGroup
{
    public SimGroup(int index, ulong id, int clients)
    {
        Index = index;
        Id = id;
        Invariants = new Invariants(Nodes, id == 0 ? "" : $"group {id}: ");
        Clients = new SimClient[clients];
    }

    /// <summary>Position in the run's list of groups (events name a group by it).</summary>
    public int Index { get; }

    /// <summary>The group id on the wire: 0 in a single-group run, 1..G otherwise.</summary>
    public ulong Id { get; }

    /// <summary>The group's replicas, by node id (a replica stays here when its server crashes or it is retired).</summary>
    public SortedDictionary<ulong, SimNode> Nodes { get; } = [];

    public Invariants Invariants { get; }

    public SimClient[] Clients { get; }

    public List<KvOperation> History { get; } = [];

    /// <summary>(client, seq) of each history entry, parallel to <see cref="History"/>.</summary>
    public List<(int Client, ulong Seq)> HistoryIds { get; } = [];

    /// <summary>
    /// Every client command some replica of the group applied, with the time of its first
    /// application and its result: an unknown write not in here never took effect.
    /// </summary>
    public Dictionary<(int Client, ulong Seq), (long Time, bool Result)> AppliedCommands { get; } = [];

    /// <summary>Proposals the host answered as certainly never applied (not leader, dropped, lost): applying one is a host bug.</summary>
    public HashSet<(int Client, ulong Seq)> RefusedCommands { get; } = [];

    /// <summary>Removed replicas to shut down: the index of the removal and the voters it left.</summary>
    public SortedDictionary<ulong, (ulong Index, ulong[] Voters)> Retiring { get; } = [];

    /// <summary>The group's highest commit when the faults stopped: every member must apply it to recover.</summary>
    public ulong CalmCommit { get; set; }

    public int CalmCompletions { get; set; }

    public int NeverAppliedUnknown { get; set; }

    public int SupersededLeaseReads { get; set; }

    /// <summary>The history was checked again with unknown outcomes resolved from the applies.</summary>
    public bool RefinedHistory { get; set; }

    /// <summary>Prefix of failure details that concern this group ("" in a single-group run).</summary>
    public string Prefix => Id == 0 ? "" : $"group {Id}: ";

    /// <summary>Ends the run with a violated invariant of this group, naming the group.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public void Fail(string invariant, string detail) => Invariants.Fail(invariant, Prefix + detail);

    public override string ToString() => Id == 0 ? "the cluster" : $"group {Id}";
}
