using FastRaft.Protocol;

namespace FastRaft.Hosting.Groups;

/// <summary>A group in the host's registry: its node, the runner it was given, and its removal once begun.</summary>
internal abstract class HostedGroup(ulong groupId, int runner) : IRaftGroup
{
    public ulong GroupId { get; } = groupId;

    /// <summary>The index of the runner the group's agent runs on.</summary>
    public int Runner { get; } = runner;

    /// <summary>Completes when the group was stopped and its id freed; null until a removal begins (guarded by the host's lock).</summary>
    public Task? Removal { get; set; }

    /// <summary>The group's leader placement on this host (its voters, transfers).</summary>
    public GroupLeadership? Leadership { get; init; }

    public abstract ulong NodeId { get; }

    public abstract NodeRole Role { get; }

    public abstract bool IsLeader { get; }

    /// <summary>Whether the group's replica is quiesced as of its last duty cycle (a hint).</summary>
    public abstract bool IsQuiesced { get; }

    /// <summary>The replica's live counters (read by the host's meter at collection time).</summary>
    public abstract NodeCounters Counters { get; }

    public abstract Task StopAsync();

    /// <summary>Stops the node and waits for it to close; a fault it died of stays on the node, not rethrown.</summary>
    public abstract ValueTask DisposeNodeAsync();
}

/// <summary>A group whose state machine produces <typeparamref name="TResult"/>.</summary>
internal sealed class HostedGroup<TResult>(ulong groupId, int runner, RaftNode<TResult> node) : HostedGroup(groupId, runner)
    where TResult : struct
{
    public RaftNode<TResult> Node { get; } = node;

    public override ulong NodeId => Node.Id;

    public override NodeRole Role => Node.Role;

    public override bool IsLeader => Node.IsLeader;

    public override bool IsQuiesced => Node.Agent.IsQuiesced;

    public override NodeCounters Counters => Node.Agent.LiveCounters;

    public override Task StopAsync() => Node.StopAsync();

    public override ValueTask DisposeNodeAsync() => Node.DisposeAsync();
}
