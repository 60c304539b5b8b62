using FastRaft.Sample.Protocol;

namespace FastRaft.Sample.Client;

/// <summary>The verdict on a run: do the replicas agree, and was every acknowledged command applied exactly once?</summary>
/// <param name="Passed">Everything checked out.</param>
/// <param name="IdenticalBooks">Every replica compared has the same applied index and state hash.</param>
/// <param name="Lost">Acknowledged commands some replica has not applied.</param>
/// <param name="Duplicated">Commands some replica applied more often than acknowledged.</param>
/// <param name="Unresolved">Sessions whose last command was never answered (applied once or not at all; both are allowed).</param>
/// <param name="Problems">What failed, for people.</param>
public sealed record CheckResult(bool Passed, bool IdenticalBooks, long Lost, long Duplicated, int Unresolved, IReadOnlyList<string> Problems);

/// <summary>Compares replica states with what a client saw.</summary>
public static class ClusterCheck
{
    /// <summary>
    /// Passes when at least a majority of <paramref name="clusterSize"/> replicas answered, all of
    /// them at the same applied index with the same state hash, and on each one every session's
    /// applied count equals its acknowledged count (one more is allowed for an unresolved session).
    /// </summary>
    public static CheckResult Verify(IReadOnlyList<ReplicaState> replicas, IReadOnlyList<SessionOutcome> sessions, int clusterSize)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        ArgumentNullException.ThrowIfNull(sessions);
        var problems = new List<string>();
        int majority = clusterSize / 2 + 1;
        if (replicas.Count < majority)
        {
            problems.Add($"only {replicas.Count} of {clusterSize} replicas answered (a majority is {majority})");
        }
        bool identical = replicas.Count > 0;
        foreach (ReplicaState r in replicas)
        {
            ReplicaState first = replicas[0];
            if (r.LastApplied != first.LastApplied)
            {
                identical = false;
                problems.Add($"node {r.NodeId} applied up to {r.LastApplied}, node {first.NodeId} up to {first.LastApplied}");
            }
            else if (!r.StateHash.AsSpan().SequenceEqual(first.StateHash))
            {
                identical = false;
                problems.Add($"node {r.NodeId} and node {first.NodeId} differ at index {r.LastApplied}: state {Hex(r.StateHash)} vs {Hex(first.StateHash)}");
            }
        }
        long lost = 0, duplicated = 0;
        int unresolved = 0;
        foreach (SessionOutcome s in sessions)
        {
            if (s.Unresolved)
            {
                unresolved++;
            }
            foreach (ReplicaState r in replicas)
            {
                long applied = Applied(r, s.ClientId);
                long most = s.Acked + (s.Unresolved ? 1 : 0);
                if (applied < s.Acked)
                {
                    lost += s.Acked - applied;
                    problems.Add($"node {r.NodeId}: client {s.ClientId:x} has {s.Acked} acknowledged commands but {applied} applied");
                }
                else if (applied > most)
                {
                    duplicated += applied - most;
                    problems.Add($"node {r.NodeId}: client {s.ClientId:x} has {applied} commands applied but only {most} sent");
                }
            }
        }
        bool passed = problems.Count == 0 && identical;
        return new CheckResult(passed, identical, lost, duplicated, unresolved, problems);
    }

    /// <summary>The first 8 bytes of a hash as hex.</summary>
    public static string Hex(byte[] hash) => Convert.ToHexStringLower(hash.AsSpan(0, Math.Min(8, hash.Length)));

    private static long Applied(ReplicaState r, ulong clientId)
    {
        foreach (ClientState c in r.Clients)
        {
            if (c.ClientId == clientId)
            {
                return c.Applied;
            }
        }
        return 0;
    }
}
