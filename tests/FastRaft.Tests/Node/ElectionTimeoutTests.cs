using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Tests.Node;

/// <summary>
/// The randomized election timeout (etcd's TestFollowerElectionTimeoutRandomized,
/// TestCandidateElectionTimeoutRandomized, TestPastElectionTimeout): drawn from
/// [ElectionTick, 2*ElectionTick) by the injected generator, afresh on every role change.
/// </summary>
public class ElectionTimeoutTests
{
    private const int ElectionTick = 10;

    /// <summary>A generator that always draws the same value.</summary>
    private sealed class FixedRandom(int value) : Random
    {
        public override int Next(int maxValue) => value;
    }

    /// <summary>
    /// Measures <paramref name="count"/> election timeouts of node 1: each round it enters
    /// <paramref name="role"/> afresh (a heartbeat of a newer term makes it a follower; a
    /// campaign makes it a candidate) and counts the ticks until it campaigns.
    /// </summary>
    private static List<int> MeasureTimeouts(Random? random, NodeRole role, int count)
    {
        var c = new TestCluster(3, cfg => cfg with { ElectionTick = ElectionTick, Random = random });
        RawNode n = c.Nodes[1];
        var timeouts = new List<int>(count);
        for (int round = 0; round < count; round++)
        {
            if (role == NodeRole.Follower)
            {
                n.Step(new Message { Type = MessageType.Heartbeat, From = 2, To = 1, Term = c.Term(1) + 1 });
            }
            else
            {
                n.Campaign();
            }
            Assert.Equal(role, c.State(1));
            c.ProcessReady(1);
            c.InFlight.Clear();

            ulong term = c.Term(1);
            int ticks = 0;
            while (c.Term(1) == term && ticks <= 3 * ElectionTick)
            {
                c.Tick(1);
                ticks++;
            }
            Assert.Equal(NodeRole.Candidate, c.State(1));
            timeouts.Add(ticks);
            c.ProcessReady(1);
            c.InFlight.Clear();
        }
        return timeouts;
    }

    [Theory]
    [InlineData(NodeRole.Follower)]
    [InlineData(NodeRole.Candidate)]
    public void Timeout_stays_within_one_to_two_election_ticks_and_covers_the_range(NodeRole role)
    {
        List<int> timeouts = MeasureTimeouts(new Random(7), role, 50 * ElectionTick);
        Assert.All(timeouts, t => Assert.InRange(t, ElectionTick, 2 * ElectionTick - 1));
        var seen = new SortedSet<int>(timeouts);
        Assert.Equal(Enumerable.Range(ElectionTick, ElectionTick), seen);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(ElectionTick - 1)]
    public void Injected_generator_decides_the_timeout(int draw)
    {
        List<int> timeouts = MeasureTimeouts(new FixedRandom(draw), NodeRole.Follower, 5);
        Assert.All(timeouts, t => Assert.Equal(ElectionTick + draw, t));
    }

    [Fact]
    public void Same_seed_gives_the_same_sequence()
    {
        List<int> a = MeasureTimeouts(new Random(42), NodeRole.Follower, 30);
        List<int> b = MeasureTimeouts(new Random(42), NodeRole.Follower, 30);
        Assert.Equal(a, b);
        Assert.True(new HashSet<int>(a).Count > 1);

        // Without an injected generator the core still draws deterministically (seeded from the id).
        Assert.Equal(MeasureTimeouts(null, NodeRole.Follower, 30), MeasureTimeouts(null, NodeRole.Follower, 30));
    }
}
