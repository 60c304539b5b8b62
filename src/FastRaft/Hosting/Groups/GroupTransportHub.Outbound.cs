using FastRaft.Protocol;

namespace FastRaft.Hosting.Groups;

// Outbound: the groups' flushed batches, one sync, one send pass, one flush.
internal sealed partial class GroupTransportHub
{
    /// <summary>
    /// Groups' batches out at most for the transport to share rather than copy: a batch shared is
    /// held until every receiving group stepped its messages, so while receivers are behind, new
    /// messages are copied instead (as they would be without sharing) and the pool stays bounded.
    /// </summary>
    private const int MaxSharedOutbound = 512;

    private readonly HeartbeatCoalescer _coalescer;

    /// <summary>The groups' batches rented and not yet given back (tests: all came back).</summary>
    internal int OutstandingOutbound => _outboundPool.Outstanding;

    /// <summary>An empty pooled batch for a view to copy its group's messages into (any runner thread).</summary>
    public InboundBatch RentOutbound() => _outboundPool.Rent();

    /// <summary>Queues a group's flushed messages for the next cycle and wakes the hub (the group's runner thread).</summary>
    public void Publish(GroupTransportView view, InboundBatch batch)
    {
        if (batch.Count == 0)
        {
            batch.Release();
            return;
        }
        if (_outbound.TryEnqueue(batch) != EnqueueResult.Ok)
        {
            Interlocked.Add(ref _counters.OutboundDrops, batch.Count);
            batch.Release();
            return;
        }
        WaitSource.Wake();
    }

    /// <summary>
    /// Drains what the groups flushed, syncs the shared log once if it has unsynced writes, then
    /// sends it all (with the coalesced heartbeats and the liveness pings due) and flushes once.
    /// </summary>
    private int SendCycle(long now)
    {
        int batches = _outbound.Drain(_drained);
        // After the drain: a group records its configuration before it flushes the messages that
        // may need it, so whatever configuration those messages need is seen here.
        int work = ApplyMembershipIfChanged(now);
        bool pingsDue = now >= _nextPing;
        if (batches == 0 && !pingsDue)
        {
            return work;
        }
        if (batches > 0 && _commit is { HasUnsyncedWrites: true })
        {
            // Nothing leaves the process before the writes it depends on are durable.
            _commit.SyncWrites();
            _counters.Syncs++;
        }
        int sent = 0;
        IBatchSharingTransport? sharing = _sharing is not null && _outboundPool.Outstanding <= MaxSharedOutbound ? _sharing : null;
        for (int i = 0; i < batches; i++)
        {
            InboundBatch batch = _drained[i];
            foreach (ref readonly Message m in batch.Messages)
            {
                sent += SendOne(in m, batch, sharing);
            }
        }
        sent += _coalescer.SendAll(_transport, LocalId, _counters);
        if (pingsDue)
        {
            sent += SendPings(now);
        }
        if (sent > 0)
        {
            _transport.Flush();
            _counters.Flushes++;
        }
        Interlocked.Add(ref _counters.MessagesSent, sent);
        _counters.OutboundBatches += batches;
        for (int i = 0; i < batches; i++)
        {
            _drained[i].Release();
            _drained[i] = null!;
        }
        return work + batches + (pingsDue ? 1 : 0);
    }

    /// <summary>
    /// Sends one group message (through <paramref name="sharing"/>, when given, sharing
    /// <paramref name="owner"/>, the batch the group copied it into, instead of having it copied
    /// again), or keeps it for its peer's coalesced heartbeats; returns the messages handed to the transport.
    /// </summary>
    private int SendOne(in Message m, InboundBatch owner, IBatchSharingTransport? sharing)
    {
        if (HeartbeatCoalescer.IsCoalescable(in m))
        {
            return _coalescer.Add(_transport, LocalId, in m, _counters);
        }
        if (m.Type == MessageType.Snapshot)
        {
            // Before the send: a transport may report the outcome from inside it.
            NoteSnapshotSent(m.To, m.GroupId);
        }
        if (sharing is not null)
        {
            sharing.SendShared(in m, owner);
        }
        else
        {
            _transport.Send(in m);
        }
        return 1;
    }
}
