using FastRaft.Core.Quorum;

namespace FastRaft.Tests.Quorum;

public class MajorityConfigTests
{
    /// <summary>Reference: the largest index that at least a majority has acked (0 if none).</summary>
    internal static ulong ReferenceCommitted(int n, ulong[] acked)
    {
        if (n == 0)
        {
            return ulong.MaxValue;
        }
        ulong best = 0;
        foreach (ulong candidate in acked)
        {
            int support = 0;
            foreach (ulong a in acked)
            {
                if (a >= candidate)
                {
                    support++;
                }
            }
            if (support > n / 2 && candidate > best)
            {
                best = candidate;
            }
        }
        return best;
    }

    internal static VoteResult ReferenceVote(int n, bool?[] votes)
    {
        if (n == 0)
        {
            return VoteResult.VoteWon;
        }
        int yes = votes.Count(v => v == true);
        int no = votes.Count(v => v == false);
        if (yes > n / 2)
        {
            return VoteResult.VoteWon;
        }
        return no > n / 2 || n - no <= n / 2 ? VoteResult.VoteLost : VoteResult.VotePending;
    }

    internal static MajorityConfig Voters(int n)
    {
        var c = new MajorityConfig();
        for (ulong id = 1; id <= (ulong)n; id++)
        {
            c.Add(id);
        }
        return c;
    }

    [Fact]
    public void EmptyConfigCommitsEverythingAndWinsVotes()
    {
        var c = new MajorityConfig();
        Assert.Equal(ulong.MaxValue, c.CommittedIndex(new ArrayAckIndexer([])));
        Assert.Equal(VoteResult.VoteWon, c.VoteResult(new Dictionary<ulong, bool>()));
        Assert.Equal("<empty majority quorum>", c.Describe(new ArrayAckIndexer([])));
    }

    [Theory]
    [InlineData(new ulong[] { 5 }, 5UL)]
    [InlineData(new ulong[] { 0 }, 0UL)]
    [InlineData(new ulong[] { 5, 9 }, 5UL)]
    [InlineData(new ulong[] { 9, 0 }, 0UL)]
    [InlineData(new ulong[] { 3, 9, 1 }, 3UL)]
    [InlineData(new ulong[] { 0, 9, 0 }, 0UL)]
    [InlineData(new ulong[] { 4, 4, 4, 1 }, 4UL)]
    [InlineData(new ulong[] { 4, 3, 2, 1 }, 2UL)]
    [InlineData(new ulong[] { 10, 20, 30, 40, 50 }, 30UL)]
    public void CommittedIndexKnownCases(ulong[] acked, ulong expected)
    {
        Assert.Equal(expected, Voters(acked.Length).CommittedIndex(new ArrayAckIndexer(acked)));
    }

    [Fact]
    public void CommittedIndexMatchesReferenceForOneToElevenVoters()
    {
        var rng = new Random(20240601);
        for (int n = 1; n <= 11; n++)
        {
            MajorityConfig c = Voters(n);
            for (int round = 0; round < 300; round++)
            {
                var acked = new ulong[n];
                for (int i = 0; i < n; i++)
                {
                    // Small range so that ties and unknown voters (0) are common.
                    acked[i] = (ulong)rng.Next(0, 6);
                }
                Assert.Equal(ReferenceCommitted(n, acked), c.CommittedIndex(new ArrayAckIndexer(acked)));
            }
        }
    }

    [Fact]
    public void CommittedIndexHandlesLargeConfigs()
    {
        // Beyond the stack threshold the pooled path is used.
        var rng = new Random(7);
        foreach (int n in new[] { 63, 64, 65, 100, 201 })
        {
            MajorityConfig c = Voters(n);
            var acked = new ulong[n];
            for (int i = 0; i < n; i++)
            {
                acked[i] = (ulong)rng.Next(0, 1000);
            }
            Assert.Equal(ReferenceCommitted(n, acked), c.CommittedIndex(new ArrayAckIndexer(acked)));
        }
    }

    [Fact]
    public void CommittedIndexIgnoresVotersOutsideTheConfig()
    {
        var c = new MajorityConfig([2, 3, 4]);
        // Voter 1 acked a lot but is not in the config.
        Assert.Equal(7UL, c.CommittedIndex(new ArrayAckIndexer([100, 7, 8, 0])));
    }

    [Fact]
    public void VoteResultMatchesReferenceForOneToElevenVoters()
    {
        for (int n = 1; n <= 11; n++)
        {
            MajorityConfig c = Voters(n);
            // Every assignment of yes/no/missing for small n, a sample for larger n.
            int combos = (int)Math.Pow(3, n);
            int step = Math.Max(1, combos / 2000);
            for (int code = 0; code < combos; code += step)
            {
                var votes = new bool?[n];
                var map = new Dictionary<ulong, bool>();
                int x = code;
                for (int i = 0; i < n; i++)
                {
                    votes[i] = (x % 3) switch { 0 => null, 1 => true, _ => false };
                    if (votes[i] is bool v)
                    {
                        map[(ulong)i + 1] = v;
                    }
                    x /= 3;
                }
                Assert.Equal(ReferenceVote(n, votes), c.VoteResult(map));
            }
        }
    }

    [Fact]
    public void VoteResultIgnoresVotesFromNonVoters()
    {
        var c = new MajorityConfig([1, 2, 3]);
        var votes = new Dictionary<ulong, bool> { [1] = true, [4] = true, [5] = true };
        Assert.Equal(VoteResult.VotePending, c.VoteResult(votes));
        votes[2] = false;
        votes[3] = false;
        Assert.Equal(VoteResult.VoteLost, c.VoteResult(votes));
    }

    [Fact]
    public void VoteResultNamesAreEtcds()
    {
        Assert.Equal("VotePending", VoteResult.VotePending.ToString());
        Assert.Equal("VoteLost", VoteResult.VoteLost.ToString());
        Assert.Equal("VoteWon", VoteResult.VoteWon.ToString());
        Assert.Equal(1, (int)VoteResult.VotePending);
        Assert.Equal(3, (int)VoteResult.VoteWon);
    }

    [Fact]
    public void DescribeDrawsBarsByRank()
    {
        var c = new MajorityConfig([1, 2, 3, 4]);
        string s = c.Describe(new ArrayAckIndexer([7, 9, 7, 0]));
        string expected =
            "        idx\n" +
            "x>        7    (id=1)\n" +
            "xxx>      9    (id=2)\n" +
            "x>        7    (id=3)\n" +
            "?         0    (id=4)\n";
        Assert.Equal(expected, s);
    }

    [Fact]
    public void SliceAndToString()
    {
        var c = new MajorityConfig([3, 1, 2]);
        Assert.Equal([1UL, 2, 3], c.Slice());
        Assert.Equal("(1 2 3)", c.ToString());
    }
}
