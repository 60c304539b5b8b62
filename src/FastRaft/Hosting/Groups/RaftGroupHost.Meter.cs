using System.Diagnostics.Metrics;

namespace FastRaft.Hosting.Groups;

/// <summary>
/// The host's meter: one per host, whatever the number of groups, with the groups' counts summed
/// (see <see cref="RaftGroupHostOptions.PublishGroupMeters"/> for why groups publish none by default).
/// </summary>
/// <remarks>
/// Every instrument is observable: it is read when a listener collects, walking the group
/// registry then (under the host's lock, for the counters), so neither the runner threads nor
/// the transport do anything more for it. A removed group's counts are kept in host totals, so
/// the sums never go down.
/// </remarks>
public sealed partial class RaftGroupHost
{
    /// <summary>The name of the meter each host publishes (the groups' counts summed, and the host's own).</summary>
    public const string MeterName = "FastRaft.Groups";

    /// <summary>The host meter's tag naming the host (its <see cref="RaftGroupHostOptions.Name"/>).</summary>
    public const string HostTag = "fastraft.host";

    /// <summary>The host meter's tag with the process's node id, when the groups share a transport (the node meter's tag name).</summary>
    public const string NodeIdTag = "raft.node_id";

    private readonly Meter _meter;

    /// <summary>The final counts of the groups removed so far (guarded by the host's lock).</summary>
    private readonly NodeCounters _retired = new();

    /// <summary>Builds the host's meter, once the host is running (and, with a shared transport, its hub is).</summary>
    private Meter CreateMeter()
    {
        List<KeyValuePair<string, object?>> tags = [new(HostTag, Options.Name)];
        if (_hub is not null)
        {
            tags.Add(new(NodeIdTag, _hub.LocalId));
        }
        var meter = new Meter(new MeterOptions(MeterName) { Tags = tags });

        meter.CreateObservableGauge("fastraft.groups.count", () => (long)_groups.Count, "{group}", "Groups the host holds (including any being removed)");
        meter.CreateObservableGauge("fastraft.groups.leaders", CountLeaders, "{group}", "Groups whose replica on this host is leader");
        meter.CreateObservableGauge("fastraft.groups.quiesced", CountQuiesced, "{group}", "Groups whose replica on this host is quiesced");

        // The node meter's names, units and descriptions, summed over the host's groups.
        AddSum(meter, "raft.proposals.accepted", static c => Volatile.Read(ref c.ProposalsAccepted), "{proposal}", "Proposals appended to the log as leader");
        AddSum(meter, "raft.proposals.committed", static c => Volatile.Read(ref c.ProposalsCommitted), "{proposal}", "Proposals committed and applied");
        AddSum(meter, "raft.proposals.failed", static c => Volatile.Read(ref c.ProposalsFailed), "{proposal}", "Proposals that failed");
        AddSum(meter, "raft.proposals.dropped", static c => Volatile.Read(ref c.ProposalsDropped), "{proposal}", "Proposals the core dropped");
        AddSum(meter, "raft.entries.applied", static c => Volatile.Read(ref c.EntriesApplied), "{entry}", "Committed entries applied");
        AddSum(meter, "raft.messages.sent", static c => Volatile.Read(ref c.MessagesSent), "{message}", "Messages handed to the transport");
        AddSum(meter, "raft.messages.received", static c => Volatile.Read(ref c.MessagesReceived), "{message}", "Inbound messages stepped");
        AddSum(meter, "raft.messages.dropped", static c => Volatile.Read(ref c.MessagesDropped), "{message}", "Inbound messages dropped");
        AddSum(meter, "raft.quiesces", static c => Volatile.Read(ref c.Quiesces), "{quiesce}", "Times a group stopped ticking for lack of work");
        AddSum(meter, "raft.wakes", static c => Volatile.Read(ref c.Wakes), "{wake}", "Times a quiesced group resumed ticking");
        AddSum(meter, "raft.liveness_wakes", static c => Volatile.Read(ref c.LivenessWakes), "{wake}", "Wakes of a quiesced follower because its leader's node was found dead");

        if (_hub is not null)
        {
            AddTransportCounters(meter, _hub.LiveCounters);
        }
        return meter;
    }

    private void AddSum(Meter meter, string name, Func<NodeCounters, long> read, string unit, string description)
        => meter.CreateObservableCounter(name, () => SumOverGroups(read), unit, description);

    /// <summary>The shared transport hub's counts (read live: the hub lives as long as the host).</summary>
    private static void AddTransportCounters(Meter meter, HubCounters hub)
    {
        const string Prefix = "fastraft.groups.transport.";
        meter.CreateObservableCounter(Prefix + "messages.routed", () => Interlocked.Read(ref hub.MessagesRouted), "{message}", "Inbound messages handed to their group");
        meter.CreateObservableCounter(Prefix + "messages.sent", () => Interlocked.Read(ref hub.MessagesSent), "{message}", "Messages handed to the process transport");
        meter.CreateObservableCounter(Prefix + "drops.unknown_group", () => Interlocked.Read(ref hub.UnknownGroupDrops), "{message}", "Inbound messages for a group this host does not run, dropped");
        meter.CreateObservableCounter(Prefix + "drops.control", () => Interlocked.Read(ref hub.ControlDrops), "{message}", "Inbound control messages malformed or not understood, dropped");
        meter.CreateObservableCounter(Prefix + "drops.outbound", () => Interlocked.Read(ref hub.OutboundDrops), "{message}", "Outbound messages dropped because the hub's queue was full or the hub had stopped");
        meter.CreateObservableCounter(Prefix + "outbound_batches", () => Interlocked.Read(ref hub.OutboundBatches), "{batch}", "Batches the groups handed to the hub");
        meter.CreateObservableCounter(Prefix + "flushes", () => Interlocked.Read(ref hub.Flushes), "{flush}", "Flushes of the process transport");
        meter.CreateObservableCounter(Prefix + "syncs", () => Interlocked.Read(ref hub.Syncs), "{sync}", "Syncs of the shared log before sending");
        meter.CreateObservableCounter(Prefix + "heartbeats.coalesced", () => Interlocked.Read(ref hub.CoalescedHeartbeats), "{message}", "Heartbeats and responses carried inside a coalesced control message");
        meter.CreateObservableCounter(Prefix + "heartbeats.control_messages", () => Interlocked.Read(ref hub.HeartbeatControlMessages), "{message}", "Coalesced heartbeat control messages sent");
        meter.CreateObservableCounter(Prefix + "liveness_pings", () => Interlocked.Read(ref hub.LivenessPings), "{message}", "Liveness pings sent");
    }

    /// <summary>One count over the groups the host holds and those it removed (at collection time).</summary>
    private long SumOverGroups(Func<NodeCounters, long> read)
    {
        // Under the lock a group is either in the registry or in the retired totals, never both
        // nor neither, so the sum cannot dip while a group is being removed.
        lock (_gate)
        {
            long total = read(_retired);
            foreach (KeyValuePair<ulong, HostedGroup> group in _groups)
            {
                total += read(group.Value.Counters);
            }
            return total;
        }
    }

    private long CountLeaders() => CountGroups(static g => g.IsLeader);

    private long CountQuiesced() => CountGroups(static g => g.IsQuiesced);

    /// <summary>The groups held now for which <paramref name="test"/> holds (at collection time).</summary>
    private long CountGroups(Func<HostedGroup, bool> test)
    {
        long count = 0;
        foreach (KeyValuePair<ulong, HostedGroup> group in _groups)
        {
            if (test(group.Value))
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>Keeps a group's final counts as it leaves the registry (under the host's lock, once its node has stopped).</summary>
    private void RetireCounters(HostedGroup group) => group.Counters.AddTo(_retired);
}
