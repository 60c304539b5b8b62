namespace FastRaft.Core.Quorum;

/// <summary>
/// Two majority configs that must both agree (etcd's JointConfig). Outside of a joint
/// configuration change the outgoing half is empty, and the config behaves like the incoming one.
/// </summary>
internal sealed class JointConfig
{
    public JointConfig() : this(new MajorityConfig(), new MajorityConfig())
    {
    }

    /// <summary>Wraps the two halves as given (they are not copied).</summary>
    public JointConfig(MajorityConfig incoming, MajorityConfig outgoing)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        ArgumentNullException.ThrowIfNull(outgoing);
        Incoming = incoming;
        Outgoing = outgoing;
    }

    public MajorityConfig Incoming { get; }

    public MajorityConfig Outgoing { get; }

    public bool IsJoint => Outgoing.Count > 0;

    /// <summary>Whether <paramref name="id"/> is a voter in either half.</summary>
    public bool Contains(ulong id) => Incoming.Contains(id) || Outgoing.Contains(id);

    /// <summary>The voters of both halves, ascending and without repetition.</summary>
    public ulong[] Ids()
    {
        ReadOnlySpan<ulong> a = Incoming.Ids;
        ReadOnlySpan<ulong> b = Outgoing.Ids;
        var merged = new ulong[UnionCount(a, b)];
        int i = 0, j = 0, k = 0;
        while (i < a.Length || j < b.Length)
        {
            if (j == b.Length || (i < a.Length && a[i] < b[j]))
            {
                merged[k++] = a[i++];
            }
            else if (i == a.Length || b[j] < a[i])
            {
                merged[k++] = b[j++];
            }
            else
            {
                merged[k++] = a[i++];
                j++;
            }
        }
        return merged;
    }

    private static int UnionCount(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        int n = a.Length;
        foreach (ulong id in b)
        {
            if (a.BinarySearch(id) < 0)
            {
                n++;
            }
        }
        return n;
    }

    /// <summary>The highest index committed in both halves.</summary>
    public ulong CommittedIndex(IAckedIndexer l) => Math.Min(Incoming.CommittedIndex(l), Outgoing.CommittedIndex(l));

    /// <summary>Won only if both halves won; lost if either lost; pending otherwise.</summary>
    public VoteResult VoteResult(IReadOnlyDictionary<ulong, bool> votes)
    {
        VoteResult r1 = Incoming.VoteResult(votes);
        VoteResult r2 = Outgoing.VoteResult(votes);
        if (r1 == r2)
        {
            return r1;
        }
        if (r1 == Quorum.VoteResult.VoteLost || r2 == Quorum.VoteResult.VoteLost)
        {
            return Quorum.VoteResult.VoteLost;
        }
        return Quorum.VoteResult.VotePending;
    }

    /// <summary>The acked-index table over the union of both halves.</summary>
    public string Describe(IAckedIndexer l) => QuorumDescription.Describe(Ids(), l);

    /// <summary>A copy sharing nothing with this config.</summary>
    public JointConfig Clone() => new(Incoming.Clone(), Outgoing.Clone());

    /// <summary><c>(1 2 3)&amp;&amp;(1 2)</c> when joint, else just the incoming half.</summary>
    public override string ToString() => IsJoint ? $"{Incoming}&&{Outgoing}" : Incoming.ToString();
}
