using FastRaft.Hosting;
using FastRaft.Sample.Client;
using FastRaft.Sample.Matching;

namespace FastRaft.Sample.Workload;

/// <summary>
/// One client session of the multi-group sample, in this process: it trades one instrument,
/// proposing each command to the leader of that instrument's group, one at a time, and resends
/// the same command (same client id and sequence number, so the engine applies it at most once)
/// until it is answered: after a leader change, a lost entry, or a proposal dropped during a
/// leadership transfer.
/// </summary>
internal sealed class GroupSession(ulong clientId, int group, OrderFlow flow, Func<int, RaftNode<CommandResult>?> leaderOf)
{
    private long _acked;
    private ulong _lastAckedSequence;
    private bool _unresolved;

    public ulong ClientId => clientId;

    /// <summary>The instrument index (group) the session trades.</summary>
    public int Group => group;

    /// <summary>Commands answered (each sequence number once).</summary>
    public long Acked => Volatile.Read(ref _acked);

    public long Trades;

    public long Resends;

    /// <summary>What the check compares with the replicas.</summary>
    public SessionOutcome Outcome => new(clientId, Acked, _lastAckedSequence, _unresolved);

    /// <summary>Trades until <paramref name="stop"/> is cancelled, finishing the command in hand.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        ulong sequence = 1;
        while (!stop.IsCancellationRequested)
        {
            OrderCommand command = flow.Next(clientId, sequence);
            byte[] encoded = CommandCodec.Encode(command);
            CommandResult? result = await ProposeUntilAnsweredAsync(encoded).ConfigureAwait(false);
            if (result is not CommandResult answer)
            {
                _unresolved = true;
                return;
            }
            flow.Observe(command, answer);
            Trades += answer.Trades;
            _lastAckedSequence = sequence;
            Interlocked.Increment(ref _acked);
            sequence++;
        }
    }

    /// <summary>The command's answer, or null when the nodes are shutting down (its fate unknown).</summary>
    private async Task<CommandResult?> ProposeUntilAnsweredAsync(byte[] encoded)
    {
        for (int attempt = 0; ; attempt++)
        {
            if (attempt > 0)
            {
                Resends++;
                await Task.Delay(attempt < 10 ? 1 : 10).ConfigureAwait(false);
            }
            RaftNode<CommandResult>? leader = leaderOf(group);
            if (leader is null)
            {
                continue;
            }
            ProposeResult<CommandResult> r = await leader.ProposeAsync(encoded).ConfigureAwait(false);
            switch (r.Status)
            {
                case RequestStatus.Ok:
                    return r.Value;
                case RequestStatus.ShuttingDown:
                    return null;
                default:
                    // NotLeader, Dropped (a transfer under way), Overloaded, Lost, Unknown,
                    // TimedOut: resend the same command; if it was applied after all, the engine
                    // answers it as a duplicate without applying it again.
                    continue;
            }
        }
    }
}
