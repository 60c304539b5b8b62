namespace FastRaft.Protocol;

/// <summary>
/// A membership configuration as persisted in snapshots: voters (incoming), outgoing voters
/// while in a joint configuration, learners, learners to add on leaving the joint state, and
/// whether the joint state is left automatically. Rarely built, so a class.
/// </summary>
public sealed class ConfState : IEquatable<ConfState>
{
    /// <summary>No members at all (a node that was never bootstrapped).</summary>
    public static readonly ConfState Empty = new();

    /// <summary>The voters of the (incoming) configuration, by node id.</summary>
    public ulong[] Voters { get; init; } = [];
    /// <summary>The learners (non-voting members), by node id.</summary>
    public ulong[] Learners { get; init; } = [];
    /// <summary>While in a joint configuration: the voters of the configuration being left; empty otherwise.</summary>
    public ulong[] VotersOutgoing { get; init; } = [];
    /// <summary>While in a joint configuration: voters of the outgoing configuration that become learners when the joint state is left.</summary>
    public ulong[] LearnersNext { get; init; } = [];
    /// <summary>Whether the joint configuration is left automatically once it is committed.</summary>
    public bool AutoLeave { get; init; }

    /// <summary>Whether there are no members and no joint state.</summary>
    public bool IsEmpty =>
        Voters.Length == 0 && Learners.Length == 0 && VotersOutgoing.Length == 0 && LearnersNext.Length == 0 && !AutoLeave;

    /// <summary>Order-insensitive equality, as etcd's ConfState.Equivalent.</summary>
    public bool Equivalent(ConfState other) =>
        SameSet(Voters, other.Voters) && SameSet(Learners, other.Learners) && SameSet(VotersOutgoing, other.VotersOutgoing)
        && SameSet(LearnersNext, other.LearnersNext) && AutoLeave == other.AutoLeave;

    /// <summary>Order-sensitive equality of every member list and of <see cref="AutoLeave"/> (see <see cref="Equivalent"/> for set equality).</summary>
    public bool Equals(ConfState? other) =>
        other is not null && Voters.AsSpan().SequenceEqual(other.Voters) && Learners.AsSpan().SequenceEqual(other.Learners)
        && VotersOutgoing.AsSpan().SequenceEqual(other.VotersOutgoing) && LearnersNext.AsSpan().SequenceEqual(other.LearnersNext)
        && AutoLeave == other.AutoLeave;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ConfState);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Voters.Length, Learners.Length, VotersOutgoing.Length, LearnersNext.Length, AutoLeave);

    private static bool SameSet(ulong[] a, ulong[] b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }
        ulong[] x = (ulong[])a.Clone();
        ulong[] y = (ulong[])b.Clone();
        Array.Sort(x);
        Array.Sort(y);
        return x.AsSpan().SequenceEqual(y);
    }
}
