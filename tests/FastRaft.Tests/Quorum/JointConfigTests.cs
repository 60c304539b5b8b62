using FastRaft.Core.Quorum;

namespace FastRaft.Tests.Quorum;

public class JointConfigTests
{
    [Fact]
    public void EmptyOutgoingBehavesLikeIncoming()
    {
        var rng = new Random(11);
        for (int n = 1; n <= 11; n++)
        {
            MajorityConfig c = MajorityConfigTests.Voters(n);
            var joint = new JointConfig(c, new MajorityConfig());
            Assert.False(joint.IsJoint);
            for (int round = 0; round < 50; round++)
            {
                var acked = new ulong[n];
                for (int i = 0; i < n; i++)
                {
                    acked[i] = (ulong)rng.Next(0, 8);
                }
                var l = new ArrayAckIndexer(acked);
                Assert.Equal(c.CommittedIndex(l), joint.CommittedIndex(l));
            }
        }
    }

    [Fact]
    public void CommittedIndexIsTheMinimumOfBothHalvesAndSymmetric()
    {
        var rng = new Random(5);
        for (int round = 0; round < 500; round++)
        {
            // Random halves drawn from voters 1..9, possibly overlapping.
            var inc = new MajorityConfig();
            var outg = new MajorityConfig();
            for (ulong id = 1; id <= 9; id++)
            {
                if (rng.Next(2) == 0)
                {
                    inc.Add(id);
                }
                if (rng.Next(3) == 0)
                {
                    outg.Add(id);
                }
            }
            var acked = new ulong[9];
            for (int i = 0; i < 9; i++)
            {
                acked[i] = (ulong)rng.Next(0, 10);
            }
            var l = new ArrayAckIndexer(acked);
            ulong expected = Math.Min(
                MajorityConfigTests.ReferenceCommitted(inc.Count, Acked(inc, acked)),
                MajorityConfigTests.ReferenceCommitted(outg.Count, Acked(outg, acked)));
            Assert.Equal(expected, new JointConfig(inc, outg).CommittedIndex(l));
            Assert.Equal(expected, new JointConfig(outg, inc).CommittedIndex(l));
        }
    }

    private static ulong[] Acked(MajorityConfig c, ulong[] all)
    {
        var r = new List<ulong>();
        foreach (ulong id in c)
        {
            r.Add(all[id - 1]);
        }
        return [.. r];
    }

    [Theory]
    [InlineData((int)VoteResult.VoteWon, (int)VoteResult.VoteWon, (int)VoteResult.VoteWon)]
    [InlineData((int)VoteResult.VoteWon, (int)VoteResult.VotePending, (int)VoteResult.VotePending)]
    [InlineData((int)VoteResult.VoteWon, (int)VoteResult.VoteLost, (int)VoteResult.VoteLost)]
    [InlineData((int)VoteResult.VotePending, (int)VoteResult.VotePending, (int)VoteResult.VotePending)]
    [InlineData((int)VoteResult.VotePending, (int)VoteResult.VoteLost, (int)VoteResult.VoteLost)]
    [InlineData((int)VoteResult.VoteLost, (int)VoteResult.VoteLost, (int)VoteResult.VoteLost)]
    public void VoteResultCombinesHalves(int incomingResult, int outgoingResult, int expectedResult)
    {
        // VoteResult is internal, so the theory's parameters carry its values as ints.
        (VoteResult incoming, VoteResult outgoing, VoteResult expected) = ((VoteResult)incomingResult, (VoteResult)outgoingResult, (VoteResult)expectedResult);
        // Incoming (1 2 3) and outgoing (4 5 6) are disjoint, so each half's outcome can be set alone.
        var votes = new Dictionary<ulong, bool>();
        Cast(votes, 1, incoming);
        Cast(votes, 4, outgoing);
        var inc = new MajorityConfig([1, 2, 3]);
        var outg = new MajorityConfig([4, 5, 6]);
        Assert.Equal(incoming, inc.VoteResult(votes));
        Assert.Equal(outgoing, outg.VoteResult(votes));
        Assert.Equal(expected, new JointConfig(inc, outg).VoteResult(votes));
        Assert.Equal(expected, new JointConfig(outg, inc).VoteResult(votes));
    }

    private static void Cast(Dictionary<ulong, bool> votes, ulong first, VoteResult want)
    {
        switch (want)
        {
            case VoteResult.VoteWon:
                votes[first] = true;
                votes[first + 1] = true;
                break;
            case VoteResult.VoteLost:
                votes[first] = false;
                votes[first + 1] = false;
                break;
            default:
                votes[first] = true;
                break;
        }
    }

    [Fact]
    public void IdsContainsToStringAndClone()
    {
        var joint = new JointConfig(new MajorityConfig([1, 2, 5]), new MajorityConfig([2, 3, 7]));
        Assert.True(joint.IsJoint);
        Assert.Equal([1UL, 2, 3, 5, 7], joint.Ids());
        Assert.True(joint.Contains(7));
        Assert.True(joint.Contains(1));
        Assert.False(joint.Contains(4));
        Assert.Equal("(1 2 5)&&(2 3 7)", joint.ToString());

        JointConfig clone = joint.Clone();
        joint.Outgoing.Clear();
        joint.Incoming.Add(9);
        Assert.Equal("(1 2 5 9)", joint.ToString());
        Assert.Equal("(1 2 5)&&(2 3 7)", clone.ToString());
        Assert.Equal("()", new JointConfig().ToString());
    }

    [Fact]
    public void DescribeCoversTheUnion()
    {
        var joint = new JointConfig(new MajorityConfig([1]), new MajorityConfig([2]));
        string expected =
            "      idx\n" +
            ">      13    (id=1)\n" +
            "x>    100    (id=2)\n";
        Assert.Equal(expected, joint.Describe(new ArrayAckIndexer([13, 100])));
    }
}
