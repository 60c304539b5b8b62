using FastRaft.Core.Storage;
using FastRaft.Protocol;
using Microsoft.Extensions.Logging;

namespace FastRaft.Core;

/// <summary>
/// The parameters of one Raft node (etcd's Config), validated when the node is built. Immutable:
/// set in an initializer, or copy with a <c>with</c> expression.
/// </summary>
public sealed record RaftConfig
{
    /// <summary>The node's id; never 0 and never one of the local thread ids.</summary>
    public ulong Id { get; init; }

    /// <summary>Ticks without hearing from a leader before a follower campaigns; must exceed <see cref="HeartbeatTick"/>.</summary>
    public int ElectionTick { get; init; } = 10;

    /// <summary>Ticks between a leader's heartbeats.</summary>
    public int HeartbeatTick { get; init; } = 1;

    /// <summary>The stable storage the node reads its log and state from.</summary>
    public IStorage? Storage { get; init; }

    /// <summary>The last applied index when restarting; entries up to it are not handed out again.</summary>
    public ulong Applied { get; init; }

    /// <summary>Write and apply through <see cref="MessageType.StorageAppend"/> / <see cref="MessageType.StorageApply"/> messages instead of Ready/Advance.</summary>
    public bool AsyncStorageWrites { get; init; }

    /// <summary>Byte limit of one append message (ulong.MaxValue: unlimited; 0: one entry per message).</summary>
    public ulong MaxSizePerMsg { get; init; }

    /// <summary>Byte limit of committed entries being applied at once (0: same as MaxSizePerMsg).</summary>
    public ulong MaxCommittedSizePerReady { get; init; }

    /// <summary>Byte limit of a leader's uncommitted tail; proposals beyond it are dropped (0: unlimited).</summary>
    public ulong MaxUncommittedEntriesSize { get; init; }

    /// <summary>Append messages in flight per follower in StateReplicate.</summary>
    public int MaxInflightMsgs { get; init; } = 256;

    /// <summary>Payload bytes in flight per follower (0: unlimited).</summary>
    public ulong MaxInflightBytes { get; init; }

    /// <summary>A leader steps down when a quorum was not active within an election timeout.</summary>
    public bool CheckQuorum { get; init; }

    /// <summary>Run a pre-vote round before incrementing the term (Raft thesis 9.6).</summary>
    public bool PreVote { get; init; }

    /// <summary>How read-only requests are served: <see cref="ReadOnlyOption.Safe"/> (a heartbeat round confirms leadership; the default) or <see cref="ReadOnlyOption.LeaseBased"/> (relies on the leader lease, needs <see cref="CheckQuorum"/>).</summary>
    public ReadOnlyOption ReadOnlyOption { get; init; }

    /// <summary>Followers drop proposals instead of forwarding them to the leader.</summary>
    public bool DisableProposalForwarding { get; init; }

    /// <summary>Skip propose-time validation of configuration changes.</summary>
    public bool DisableConfChangeValidation { get; init; }

    /// <summary>A leader removed from (or demoted in) the configuration steps down.</summary>
    public bool StepDownOnRemoval { get; init; }

    /// <summary>
    /// Leader ticks to wait for a sent snapshot's status before treating it as failed (as if
    /// ReportSnapshot(failure) had been called), for transports that cannot always report. 0
    /// disables the bound (etcd's behaviour: the follower waits for ReportSnapshot).
    /// </summary>
    public int SnapshotStatusTimeoutTicks { get; init; }

    /// <summary>
    /// With <see cref="StepDownOnRemoval"/>: a removed or demoted leader keeps replicating until
    /// every voter of the new configuration holds its whole log (or an election timeout passes),
    /// and only then steps down. Without it (etcd's behaviour) the leader steps down at once, and
    /// if the followers missed its last entries, an election that still needs its vote (while
    /// they are in a joint configuration) can be refused forever because its log is longer.
    /// </summary>
    public bool StepDownAfterCatchUp { get; init; }

    /// <summary>
    /// Where the core logs (etcd's lines: elections, term changes, refused messages, invariant
    /// violations); null (the default) is silent. Create it under the category
    /// <see cref="Logging.RaftLogCategories.Raft"/>. A disabled level costs no formatting and no allocation.
    /// </summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Source of the randomized election timeout. Injected so the core stays deterministic; when
    /// null, a generator seeded from the node id is used.
    /// </summary>
    public Random? Random { get; init; }

    /// <summary>
    /// Checks the configuration (etcd's validate).
    /// </summary>
    /// <exception cref="ArgumentException">A setting is invalid; the parameter name is the setting's.</exception>
    public void Validate()
    {
        if (Id == LocalIds.None)
        {
            throw Invalid("cannot use none as id", nameof(Id));
        }
        if (Id is LocalIds.LocalAppendThread or LocalIds.LocalApplyThread)
        {
            throw Invalid("cannot use local target as id", nameof(Id));
        }
        if (HeartbeatTick <= 0)
        {
            throw Invalid("heartbeat tick must be greater than 0", nameof(HeartbeatTick));
        }
        if (ElectionTick <= HeartbeatTick)
        {
            throw Invalid("election tick must be greater than heartbeat tick", nameof(ElectionTick));
        }
        if (Storage is null)
        {
            throw Invalid("storage cannot be nil", nameof(Storage));
        }
        if (MaxInflightMsgs <= 0)
        {
            throw Invalid("max inflight messages must be greater than 0", nameof(MaxInflightMsgs));
        }
        if (MaxInflightBytes != 0 && MaxInflightBytes < MaxSizePerMsg)
        {
            throw Invalid("max inflight bytes must be >= max message size", nameof(MaxInflightBytes));
        }
        if (SnapshotStatusTimeoutTicks < 0)
        {
            throw Invalid("snapshot status timeout must not be negative", nameof(SnapshotStatusTimeoutTicks));
        }
        if (ReadOnlyOption == ReadOnlyOption.LeaseBased && !CheckQuorum)
        {
            throw Invalid("CheckQuorum must be enabled when ReadOnlyOption is LeaseBased", nameof(ReadOnlyOption));
        }
    }

    /// <summary>A copy with the limits left at 0 given their meaning (etcd's validate fills them in place).</summary>
    internal RaftConfig WithDefaults() => this with
    {
        MaxUncommittedEntriesSize = MaxUncommittedEntriesSize == 0 ? ulong.MaxValue : MaxUncommittedEntriesSize,
        MaxCommittedSizePerReady = MaxCommittedSizePerReady == 0 ? MaxSizePerMsg : MaxCommittedSizePerReady,
        MaxInflightBytes = MaxInflightBytes == 0 ? ulong.MaxValue : MaxInflightBytes,
    };

    private static ArgumentException Invalid(string reason, string setting) => new(reason, setting);
}
