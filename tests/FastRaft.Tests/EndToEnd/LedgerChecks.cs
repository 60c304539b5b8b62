namespace FastRaft.Tests.EndToEnd;

internal static class LedgerChecks
{
    /// <summary>
    /// Every running node's ledger holds exactly the acknowledged operations of
    /// <paramref name="clients"/>, each once: none missing, none twice, nothing else.
    /// </summary>
    public static void AssertExactlyAcknowledged(E2eCluster cluster, params LedgerClient[] clients)
    {
        var expected = new HashSet<(ulong, ulong)>();
        foreach (LedgerClient c in clients)
        {
            foreach (ulong seq in c.Acknowledged.Keys)
            {
                expected.Add((c.ClientId, seq));
            }
        }
        foreach ((ulong id, LedgerStateMachine sm) in cluster.StateMachines.Where(kv => cluster.Nodes.ContainsKey(kv.Key)))
        {
            List<(ulong Client, ulong Seq)> applied = sm.Applications();
            var distinct = applied.ToHashSet();
            Assert.True(distinct.Count == applied.Count, $"node {id} applied {applied.Count - distinct.Count} operations twice");
            var missing = expected.Except(distinct).ToList();
            Assert.True(missing.Count == 0, $"node {id} lacks {missing.Count} acknowledged operations, e.g. {string.Join(", ", missing.Take(5))}");
            var extra = distinct.Except(expected).ToList();
            Assert.True(extra.Count == 0, $"node {id} applied {extra.Count} operations nobody had acknowledged, e.g. {string.Join(", ", extra.Take(5))}");
        }
    }
}
