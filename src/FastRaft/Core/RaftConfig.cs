#pragma warning disable CS1591 // docs pending: api helper
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using Microsoft.Extensions.Logging;

namespace FastRaft.Core;

/// <summary>The parameters of one Raft node (etcd's Config), validated when the node is built.</summary>
public sealed class RaftConfig
{
    /// <summary>The node's id; never 0 and never one of the local thread ids.</summary>
    public ulong Id { get; set; }

    /// <summary>Ticks without hearing from a leader before a follower campaigns; must exceed <see cref="HeartbeatTick"/>.</summary>
    public int ElectionTick { get; set; } = 10;

    /// <summary>Ticks between a leader's heartbeats.</summary>
    public int HeartbeatTick { get; set; } = 1;

    /// <summary>The stable storage the node reads its log and state from.</summary>
    public IStorage? Storage { get; set; }

    /// <summary>The last applied index when restarting; entries up to it are not handed out again.</summary>
    public ulong Applied { get; set; }

    /// <summary>Write and apply through MsgStorageAppend / MsgStorageApply messages instead of Ready/Advance.</summary>
    public bool AsyncStorageWrites { get; set; }

    /// <summary>Byte limit of one append message (ulong.MaxValue: unlimited; 0: one entry per message).</summary>
    public ulong MaxSizePerMsg { get; set; }

    /// <summary>Byte limit of committed entries being applied at once (0: same as MaxSizePerMsg).</summary>
    public ulong MaxCommittedSizePerReady { get; set; }

    /// <summary>Byte limit of a leader's uncommitted tail; proposals beyond it are dropped (0: unlimited).</summary>
    public ulong MaxUncommittedEntriesSize { get; set; }

    /// <summary>Append messages in flight per follower in StateReplicate.</summary>
    public int MaxInflightMsgs { get; set; } = 256;

    /// <summary>Payload bytes in flight per follower (0: unlimited).</summary>
    public ulong MaxInflightBytes { get; set; }

    /// <summary>A leader steps down when a quorum was not active within an election timeout.</summary>
    public bool CheckQuorum { get; set; }

    /// <summary>Run a pre-vote round before incrementing the term (Raft thesis 9.6).</summary>
    public bool PreVote { get; set; }

    public ReadOnlyOption ReadOnlyOption { get; set; }

    /// <summary>Followers drop proposals instead of forwarding them to the leader.</summary>
    public bool DisableProposalForwarding { get; set; }

    /// <summary>Skip propose-time validation of configuration changes.</summary>
    public bool DisableConfChangeValidation { get; set; }

    /// <summary>A leader removed from (or demoted in) the configuration steps down.</summary>
    public bool StepDownOnRemoval { get; set; }

    /// <summary>
    /// Leader ticks to wait for a sent snapshot's status before treating it as failed (as if
    /// ReportSnapshot(failure) had been called), for transports that cannot always report. 0
    /// disables the bound (etcd's behaviour: the follower waits for ReportSnapshot).
    /// </summary>
    public int SnapshotStatusTimeoutTicks { get; set; }

    /// <summary>
    /// With <see cref="StepDownOnRemoval"/>: a removed or demoted leader keeps replicating until
    /// every voter of the new configuration holds its whole log (or an election timeout passes),
    /// and only then steps down. Without it (etcd's behaviour) the leader steps down at once, and
    /// if the followers missed its last entries, an election that still needs its vote (while
    /// they are in a joint configuration) can be refused forever because its log is longer.
    /// </summary>
    public bool StepDownAfterCatchUp { get; set; }

    /// <summary>
    /// Where the core logs (etcd's lines: elections, term changes, refused messages, invariant
    /// violations); null (the default) is silent. Create it under the category
    /// <see cref="Logging.RaftLogCategories.Raft"/>. A disabled level costs no formatting and no allocation.
    /// </summary>
    public ILogger? Logger { get; set; }

    /// <summary>
    /// Source of the randomized election timeout. Injected so the core stays deterministic; when
    /// null, a generator seeded from the node id is used.
    /// </summary>
    public Random? Random { get; set; }

    /// <summary>
    /// A copy of this configuration, for a host that fills in what it needs without changing the
    /// caller's object. Shallow: the copy shares <see cref="Storage"/>, <see cref="Logger"/> and
    /// <see cref="Random"/> with the original.
    /// </summary>
    public RaftConfig Clone() => (RaftConfig)MemberwiseClone();

    /// <summary>
    /// Checks the configuration and fills defaults (etcd's validate). Returns null when valid,
    /// otherwise the reason.
    /// </summary>
    public string? Validate()
    {
        if (Id == LocalIds.None)
        {
            return "cannot use none as id";
        }
        if (Id is LocalIds.LocalAppendThread or LocalIds.LocalApplyThread)
        {
            return "cannot use local target as id";
        }
        if (HeartbeatTick <= 0)
        {
            return "heartbeat tick must be greater than 0";
        }
        if (ElectionTick <= HeartbeatTick)
        {
            return "election tick must be greater than heartbeat tick";
        }
        if (Storage is null)
        {
            return "storage cannot be nil";
        }
        if (MaxUncommittedEntriesSize == 0)
        {
            MaxUncommittedEntriesSize = ulong.MaxValue;
        }
        if (MaxCommittedSizePerReady == 0)
        {
            MaxCommittedSizePerReady = MaxSizePerMsg;
        }
        if (MaxInflightMsgs <= 0)
        {
            return "max inflight messages must be greater than 0";
        }
        if (MaxInflightBytes == 0)
        {
            MaxInflightBytes = ulong.MaxValue;
        }
        else if (MaxInflightBytes < MaxSizePerMsg)
        {
            return "max inflight bytes must be >= max message size";
        }
        if (SnapshotStatusTimeoutTicks < 0)
        {
            return "snapshot status timeout must not be negative";
        }
        if (ReadOnlyOption == ReadOnlyOption.ReadOnlyLeaseBased && !CheckQuorum)
        {
            return "CheckQuorum must be enabled when ReadOnlyOption is ReadOnlyLeaseBased";
        }
        return null;
    }
}
