using System.Buffers;

namespace FastRaft.Core.Quorum;

/// <summary>A set of voters that decides by simple majority (etcd's MajorityConfig).</summary>
internal sealed class MajorityConfig : SortedIdSet
{
    // Up to this many voters the acked indexes are sorted on the stack; beyond it a pooled
    // array is used. Either way nothing is allocated once the pool is warm.
    private const int StackLimit = 64;

    public MajorityConfig()
    {
    }

    public MajorityConfig(ReadOnlySpan<ulong> ids)
    {
        foreach (ulong id in ids)
        {
            Add(id);
        }
    }

    private MajorityConfig(MajorityConfig other) : base(other)
    {
    }

    public MajorityConfig Clone() => new(this);

    /// <summary>
    /// The highest index acknowledged by a majority. An empty config returns
    /// <see cref="ulong.MaxValue"/> so that it never holds back the other half of a joint config.
    /// </summary>
    public ulong CommittedIndex(IAckedIndexer l)
    {
        int n = Count;
        if (n == 0)
        {
            return ulong.MaxValue;
        }
        if (n <= StackLimit)
        {
            return CommittedIndex(l, stackalloc ulong[n]);
        }
        ulong[] rented = ArrayPool<ulong>.Shared.Rent(n);
        try
        {
            return CommittedIndex(l, rented.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(rented);
        }
    }

    private ulong CommittedIndex(IAckedIndexer l, Span<ulong> acked)
    {
        // Voters without an acknowledgement count as index 0.
        ReadOnlySpan<ulong> ids = Ids;
        for (int i = 0; i < ids.Length; i++)
        {
            acked[i] = l.AckedIndex(ids[i], out ulong idx) ? idx : 0;
        }
        SortSmall(acked);
        // The quorum's weakest member: n/2+1 voters have acked at least this index.
        return acked[acked.Length - (acked.Length / 2 + 1)];
    }

    private static void SortSmall(Span<ulong> values)
    {
        if (values.Length > 16)
        {
            values.Sort();
            return;
        }
        for (int i = 1; i < values.Length; i++)
        {
            ulong v = values[i];
            int j = i - 1;
            while (j >= 0 && values[j] > v)
            {
                values[j + 1] = values[j];
                j--;
            }
            values[j + 1] = v;
        }
    }

    /// <summary>
    /// The outcome of an election given yes (true) and no (false) votes. An empty config wins by
    /// convention, so that a joint config with an empty half behaves like its other half.
    /// </summary>
    public VoteResult VoteResult(IReadOnlyDictionary<ulong, bool> votes)
    {
        if (Count == 0)
        {
            return Quorum.VoteResult.VoteWon;
        }
        int yes = 0;
        int missing = 0;
        foreach (ulong id in Ids)
        {
            if (!votes.TryGetValue(id, out bool v))
            {
                missing++;
            }
            else if (v)
            {
                yes++;
            }
        }
        int q = Count / 2 + 1;
        if (yes >= q)
        {
            return Quorum.VoteResult.VoteWon;
        }
        return yes + missing >= q ? Quorum.VoteResult.VotePending : Quorum.VoteResult.VoteLost;
    }

    /// <summary>The table of acked indexes that etcd's quorum tests print (etcd's Describe).</summary>
    public string Describe(IAckedIndexer l) => QuorumDescription.Describe(Ids, l);
}
