namespace FastRaft.Simulation;

// The calm phase ends once the cluster has recovered: with the network healed and every member
// running, there is a leader, a client operation completed after the faults stopped, and every
// member of the leader's configuration applied what was committed when they stopped. A cluster
// that has not recovered within the scenario's CalmDuration fails the liveness check.
public sealed partial class Simulation
{
    private bool Recovered()
    {
        if (RecoveryProblem() is not null)
        {
            return false;
        }
        _trace.Line($"{_now} recovered: leader {CurrentLeader()}, {_calmCompletions} operations completed in the calm phase");
        return true;
    }

    private string? RecoveryProblem()
    {
        ulong lead = CurrentLeader() ?? 0;
        if (lead == 0)
        {
            return "no leader";
        }
        if (_calmCompletions == 0)
        {
            return "no client operation completed";
        }
        SimNode leader = _nodes[lead];
        foreach (ulong id in Members(leader.Conf))
        {
            SimNode? n = _nodes.GetValueOrDefault(id);
            if (n is null || !n.Up)
            {
                return $"member {id} of leader {lead}'s configuration is not running";
            }
            if (n.Applied < _calmCommit)
            {
                return $"member {id} applied only up to {n.Applied}; {_calmCommit} was committed when the faults stopped";
            }
        }
        return null;
    }

    private void FailNotRecovered() =>
        Invariants.Fail("liveness", $"not recovered {_s.CalmDuration} time units after the faults stopped: {RecoveryProblem()}");
}
