using System.Collections.Concurrent;
using FastRaft.Hosting;

namespace FastRaft.Tests.EndToEnd;

/// <summary>
/// A client of the ledger: proposes operations (client id, 1..count) to whichever node leads,
/// many in flight at once, and retries each until it is acknowledged. A retry reuses the
/// operation's key, so one whose first attempt was committed after all (ShuttingDown, Unknown)
/// is recognised by the ledger rather than applied twice. Every attempt is bounded in time.
/// </summary>
internal sealed class LedgerClient(E2eCluster cluster, ulong clientId, int payloadSize = 32)
{
    private int _next;

    /// <summary>Acknowledged operations: sequence number → the ledger's result (applied now, or already).</summary>
    public ConcurrentDictionary<ulong, ulong> Acknowledged { get; } = new();

    /// <summary>Failed attempts by status (each was retried).</summary>
    public ConcurrentDictionary<RequestStatus, int> Failures { get; } = new();

    public ulong ClientId => clientId;

    /// <summary>Proposes operations 1..<paramref name="count"/> with <paramref name="concurrency"/> in flight until all are acknowledged.</summary>
    public async Task RunAsync(int count, int concurrency)
    {
        var workers = new Task[concurrency];
        using var cts = new CancellationTokenSource(E2eCluster.Timeout);
        for (int i = 0; i < workers.Length; i++)
        {
            workers[i] = Task.Run(() => WorkAsync(count, cts.Token));
        }
        await Task.WhenAll(workers).WaitAsync(E2eCluster.Timeout + TimeSpan.FromSeconds(5));
    }

    public string Describe() =>
        $"client {clientId}: {Acknowledged.Count} acknowledged; failures {string.Join(", ", Failures.Select(f => $"{f.Key}={f.Value}"))}";

    private async Task WorkAsync(int count, CancellationToken ct)
    {
        int seq;
        while ((seq = Interlocked.Increment(ref _next)) <= count)
        {
            await ProposeUntilAcknowledgedAsync((ulong)seq, ct);
        }
    }

    private async Task ProposeUntilAcknowledgedAsync(ulong seq, CancellationToken ct)
    {
        byte[] payload = LedgerStateMachine.Payload(clientId, seq, payloadSize);
        while (true)
        {
            if (ct.IsCancellationRequested)
            {
                throw new TimeoutException($"operation {seq} not acknowledged in time; {Describe()}; {cluster.Describe()}");
            }
            RaftNode<ulong>? leader = cluster.CurrentLeader();
            if (leader is null)
            {
                await Task.Delay(5, CancellationToken.None);
                continue;
            }
            ProposeResult<ulong> r = await leader.ProposeAsync(payload).AsTask().WaitAsync(E2eCluster.Timeout, CancellationToken.None);
            if (r.IsOk)
            {
                Assert.NotEqual(LedgerStateMachine.NoOp, r.Value);
                Acknowledged[seq] = r.Value;
                return;
            }
            Failures.AddOrUpdate(r.Status, 1, (_, n) => n + 1);
            await Task.Delay(r.Status is RequestStatus.NotLeader or RequestStatus.ShuttingDown ? 5 : 1, CancellationToken.None);
        }
    }
}
