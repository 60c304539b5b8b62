namespace FastRaft.Protocol;

/// <summary>One change inside a <see cref="ConfChangeV2"/>.</summary>
public readonly record struct ConfChangeSingle(ConfChangeType Type, ulong NodeId);

/// <summary>Common view of v1 and v2 configuration changes (etcd's ConfChangeI).</summary>
public interface IConfChange
{
    /// <summary>This change in the v2 form (a v1 change becomes a v2 change of one node).</summary>
    ConfChangeV2 AsV2();

    /// <summary>The v1 form, or false when this is a v2 change.</summary>
    bool TryAsV1(out ConfChange v1);
}

/// <summary>The original single-node configuration change (etcd's ConfChange).</summary>
public readonly record struct ConfChange(ConfChangeType Type, ulong NodeId, ReadOnlyMemory<byte> Context = default, ulong Id = 0) : IConfChange
{
    /// <inheritdoc />
    public ConfChangeV2 AsV2() => new()
    {
        Changes = [new ConfChangeSingle(Type, NodeId)],
        Context = Context,
    };

    /// <inheritdoc />
    public bool TryAsV1(out ConfChange v1)
    {
        v1 = this;
        return true;
    }

    /// <summary>Equal when type, node, id and the context bytes are equal.</summary>
    public bool Equals(ConfChange other) =>
        Type == other.Type && NodeId == other.NodeId && Id == other.Id && Context.Span.SequenceEqual(other.Context.Span);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Type, NodeId, Id);
}

/// <summary>A configuration change of any number of nodes, possibly via joint consensus.</summary>
public sealed class ConfChangeV2 : IConfChange
{
    /// <summary>Whether and how the change goes through a joint configuration.</summary>
    public ConfChangeTransition Transition { get; init; }
    /// <summary>The node changes, applied together; empty to leave a joint configuration.</summary>
    public ConfChangeSingle[] Changes { get; init; } = [];
    /// <summary>Opaque application bytes carried with the change.</summary>
    public ReadOnlyMemory<byte> Context { get; init; }

    /// <inheritdoc />
    public ConfChangeV2 AsV2() => this;

    /// <inheritdoc />
    public bool TryAsV1(out ConfChange v1)
    {
        v1 = default;
        return false;
    }

    /// <summary>
    /// Whether this change enters a joint configuration, and if so whether that configuration is
    /// left automatically (etcd's EnterJoint).
    /// </summary>
    public bool EnterJoint(out bool autoLeave)
    {
        if (Transition != ConfChangeTransition.Auto || Changes.Length > 1)
        {
            autoLeave = Transition is ConfChangeTransition.Auto or ConfChangeTransition.Implicit;
            return true;
        }
        autoLeave = false;
        return false;
    }

    /// <summary>
    /// An empty change (context aside): the instruction to leave a joint configuration (etcd's LeaveJoint).
    /// </summary>
    public bool LeaveJoint => Transition == ConfChangeTransition.Auto && Changes.Length == 0;
}
