namespace FastRaft.Protocol;

/// <summary>
/// A membership configuration as persisted in snapshots: voters (incoming), outgoing voters
/// while in a joint configuration, learners, learners to add on leaving the joint state, and
/// whether the joint state is left automatically. Rarely built, so a class.
/// </summary>
public sealed class ConfState : IEquatable<ConfState>
{
    public static readonly ConfState Empty = new();

    public ulong[] Voters { get; init; } = [];
    public ulong[] Learners { get; init; } = [];
    public ulong[] VotersOutgoing { get; init; } = [];
    public ulong[] LearnersNext { get; init; } = [];
    public bool AutoLeave { get; init; }

    public bool IsEmpty =>
        Voters.Length == 0 && Learners.Length == 0 && VotersOutgoing.Length == 0 && LearnersNext.Length == 0 && !AutoLeave;

    /// <summary>Order-insensitive equality, as etcd's ConfState.Equivalent.</summary>
    public bool Equivalent(ConfState other) =>
        SameSet(Voters, other.Voters) && SameSet(Learners, other.Learners) && SameSet(VotersOutgoing, other.VotersOutgoing)
        && SameSet(LearnersNext, other.LearnersNext) && AutoLeave == other.AutoLeave;

    public bool Equals(ConfState? other) =>
        other is not null && Voters.AsSpan().SequenceEqual(other.Voters) && Learners.AsSpan().SequenceEqual(other.Learners)
        && VotersOutgoing.AsSpan().SequenceEqual(other.VotersOutgoing) && LearnersNext.AsSpan().SequenceEqual(other.LearnersNext)
        && AutoLeave == other.AutoLeave;

    public override bool Equals(object? obj) => Equals(obj as ConfState);

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
