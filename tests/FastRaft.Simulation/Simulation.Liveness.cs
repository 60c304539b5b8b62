namespace FastRaft.Simulation;

// The calm phase ends once every group has recovered: with the network healed and every member
// running, the group has a leader, a client operation of the group completed after the faults
// stopped, and every member of the leader's configuration applied what the group had committed
// when they stopped. A group that has not recovered within the scenario's CalmDuration fails the
// liveness check.
public sealed partial class Simulation
{
    private bool Recovered()
    {
        if (RecoveryProblem() is not null)
        {
            return false;
        }
        foreach (SimGroup g in _groups)
        {
            _trace.Line($"{_now} {(g.Id == 0 ? "" : $"group {g.Id} ")}recovered: leader {CurrentLeader(g)}, {g.CalmCompletions} operations completed in the calm phase");
        }
        return true;
    }

    /// <summary>What keeps some group from having recovered (naming the group), or null when all have.</summary>
    private string? RecoveryProblem()
    {
        foreach (SimGroup g in _groups)
        {
            if (RecoveryProblem(g) is string problem)
            {
                return g.Prefix + problem;
            }
        }
        return null;
    }

    private string? RecoveryProblem(SimGroup g)
    {
        ulong lead = CurrentLeader(g) ?? 0;
        if (lead == 0)
        {
            return "no leader";
        }
        if (g.CalmCompletions == 0)
        {
            return "no client operation completed";
        }
        SimNode leader = g.Nodes[lead];
        foreach (ulong id in Members(leader.Conf))
        {
            SimNode? n = g.Nodes.GetValueOrDefault(id);
            if (n is null || !n.Up)
            {
                return $"member {id} of leader {lead}'s configuration is not running";
            }
            if (n.Applied < g.CalmCommit)
            {
                return $"member {id} applied only up to {n.Applied}; {g.CalmCommit} was committed when the faults stopped";
            }
        }
        return null;
    }

    private void FailNotRecovered() =>
        Invariants.Fail("liveness", $"not recovered {_s.CalmDuration} time units after the faults stopped: {RecoveryProblem()}");
}
