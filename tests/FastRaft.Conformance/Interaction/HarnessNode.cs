using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Conformance.Interaction;

/// <summary>One node of the interaction environment with its storage, pending storage work and state-machine history.</summary>
internal sealed class HarnessNode(RawNode rawNode, HarnessStorage storage, RaftConfig config, Snapshot initial)
{
    public RawNode RawNode { get; } = rawNode;

    public HarnessStorage Storage { get; } = storage;

    public RaftConfig Config { get; } = config;

    /// <summary>MsgStorageAppend messages waiting for the append thread.</summary>
    public List<Message> AppendWork { get; } = [];

    /// <summary>MsgStorageApply messages waiting for the apply thread.</summary>
    public List<Message> ApplyWork { get; } = [];

    /// <summary>Snapshots of the "appender" state machine after each applied entry.</summary>
    public List<Snapshot> History { get; } = [initial];
}
