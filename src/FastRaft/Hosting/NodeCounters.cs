using System.Diagnostics.Metrics;
using FastRaft.Core;

namespace FastRaft.Hosting;

/// <summary>
/// The host's counters: plain fields bumped on the node thread (Interlocked where other threads
/// bump them), published through System.Diagnostics.Metrics as observable instruments, so
/// counting costs an increment and nothing is allocated per entry.
/// </summary>
internal sealed class NodeCounters
{
    public const string MeterName = "FastRaft.Node";

    public long LoopIterations;
    public long Ticks;
    public long Readys;
    public long ProposalsAccepted;
    public long ProposalsCommitted;
    public long ProposalsFailed;
    public long ProposalsDropped;
    public long EntriesApplied;
    public long MessagesSent;
    public long MessagesReceived;
    public long MessagesDropped;
    public long ReadsCompleted;
    public long SnapshotsCreated;
    public long SnapshotsRestored;
    public long SnapshotsRefused;
    public long PeerSnapshotRefusals;
    public long Quiesces;
    public long Wakes;
    public long LivenessWakes;

    /// <summary>Peer messages the core refused, by reason (node thread only writes).</summary>
    public readonly RefusalTally Refusals = new();

    public RaftNodeCounters Snapshot() => new()
    {
        LoopIterations = Volatile.Read(ref LoopIterations),
        Ticks = Volatile.Read(ref Ticks),
        Readys = Volatile.Read(ref Readys),
        ProposalsAccepted = Volatile.Read(ref ProposalsAccepted),
        ProposalsCommitted = Volatile.Read(ref ProposalsCommitted),
        ProposalsFailed = Volatile.Read(ref ProposalsFailed),
        ProposalsDropped = Volatile.Read(ref ProposalsDropped),
        EntriesApplied = Volatile.Read(ref EntriesApplied),
        MessagesSent = Volatile.Read(ref MessagesSent),
        MessagesReceived = Volatile.Read(ref MessagesReceived),
        MessagesDropped = Volatile.Read(ref MessagesDropped),
        ReadsCompleted = Volatile.Read(ref ReadsCompleted),
        SnapshotsCreated = Volatile.Read(ref SnapshotsCreated),
        SnapshotsRestored = Volatile.Read(ref SnapshotsRestored),
        SnapshotsRefused = Volatile.Read(ref SnapshotsRefused),
        PeerSnapshotRefusals = Volatile.Read(ref PeerSnapshotRefusals),
        Quiesces = Volatile.Read(ref Quiesces),
        Wakes = Volatile.Read(ref Wakes),
        LivenessWakes = Volatile.Read(ref LivenessWakes),
        MessagesRefused = Refusals.Snapshot(),
    };

    /// <summary>
    /// Adds every plain count of this node into <paramref name="total"/> (the refusal tally is
    /// left out): how a group host keeps the counts of the groups it removed. The caller
    /// serializes writes to <paramref name="total"/>.
    /// </summary>
    public void AddTo(NodeCounters total)
    {
        total.LoopIterations += Volatile.Read(ref LoopIterations);
        total.Ticks += Volatile.Read(ref Ticks);
        total.Readys += Volatile.Read(ref Readys);
        total.ProposalsAccepted += Volatile.Read(ref ProposalsAccepted);
        total.ProposalsCommitted += Volatile.Read(ref ProposalsCommitted);
        total.ProposalsFailed += Volatile.Read(ref ProposalsFailed);
        total.ProposalsDropped += Volatile.Read(ref ProposalsDropped);
        total.EntriesApplied += Volatile.Read(ref EntriesApplied);
        total.MessagesSent += Volatile.Read(ref MessagesSent);
        total.MessagesReceived += Volatile.Read(ref MessagesReceived);
        total.MessagesDropped += Volatile.Read(ref MessagesDropped);
        total.ReadsCompleted += Volatile.Read(ref ReadsCompleted);
        total.SnapshotsCreated += Volatile.Read(ref SnapshotsCreated);
        total.SnapshotsRestored += Volatile.Read(ref SnapshotsRestored);
        total.SnapshotsRefused += Volatile.Read(ref SnapshotsRefused);
        total.PeerSnapshotRefusals += Volatile.Read(ref PeerSnapshotRefusals);
        total.Quiesces += Volatile.Read(ref Quiesces);
        total.Wakes += Volatile.Read(ref Wakes);
        total.LivenessWakes += Volatile.Read(ref LivenessWakes);
    }

    /// <summary>
    /// A meter (tagged with the node id) whose instruments read these counters, and the node's
    /// published commit index, applied index and term, when collected.
    /// </summary>
    public Meter CreateMeter(ulong nodeId, Func<long> commitIndex, Func<long> appliedIndex, Func<long> term)
    {
        var meter = new Meter(new MeterOptions(MeterName)
        {
            Tags = [new KeyValuePair<string, object?>("raft.node_id", nodeId)],
        });
        meter.CreateObservableCounter("raft.proposals.accepted", () => Volatile.Read(ref ProposalsAccepted), "{proposal}", "Proposals appended to the log as leader");
        meter.CreateObservableCounter("raft.proposals.committed", () => Volatile.Read(ref ProposalsCommitted), "{proposal}", "Proposals committed and applied");
        meter.CreateObservableCounter("raft.proposals.failed", () => Volatile.Read(ref ProposalsFailed), "{proposal}", "Proposals that failed");
        meter.CreateObservableCounter("raft.proposals.dropped", () => Volatile.Read(ref ProposalsDropped), "{proposal}", "Proposals the core dropped");
        meter.CreateObservableCounter("raft.entries.applied", () => Volatile.Read(ref EntriesApplied), "{entry}", "Committed entries applied");
        meter.CreateObservableCounter("raft.messages.sent", () => Volatile.Read(ref MessagesSent), "{message}", "Messages handed to the transport");
        meter.CreateObservableCounter("raft.messages.received", () => Volatile.Read(ref MessagesReceived), "{message}", "Inbound messages stepped");
        meter.CreateObservableCounter("raft.messages.dropped", () => Volatile.Read(ref MessagesDropped), "{message}", "Inbound messages dropped");
        meter.CreateObservableCounter("raft.messages.refused", () => Refusals.Snapshot().Total, "{message}", "Inbound messages refused as invalid (every reason)");
        meter.CreateObservableCounter("raft.snapshots.refused", () => Volatile.Read(ref SnapshotsRefused), "{snapshot}", "Snapshots from a leader the state machine could not restore, refused before persisting");
        meter.CreateObservableCounter("raft.snapshots.created", () => Volatile.Read(ref SnapshotsCreated), "{snapshot}", "Snapshots taken by policy");
        meter.CreateObservableCounter("raft.snapshots.restored", () => Volatile.Read(ref SnapshotsRestored), "{snapshot}", "Snapshots restored from a leader");
        meter.CreateObservableCounter("raft.quiesces", () => Volatile.Read(ref Quiesces), "{quiesce}", "Times the node stopped ticking for lack of work");
        meter.CreateObservableCounter("raft.wakes", () => Volatile.Read(ref Wakes), "{wake}", "Times a quiesced node resumed ticking");
        meter.CreateObservableGauge("raft.commit_index", commitIndex, "{entry}", "The commit index as last persisted");
        meter.CreateObservableGauge("raft.applied_index", appliedIndex, "{entry}", "The index of the last applied entry");
        meter.CreateObservableGauge("raft.term", term, "{term}", "The node's current term");
        return meter;
    }
}
