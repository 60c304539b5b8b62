namespace FastRaft.FaultCampaign.Campaign;

/// <summary>
/// Picks faults from a seeded random source, one at a time, with a calm spell between them:
/// kill -9 (of the leader half the time) and a restart from the write-ahead log after a while;
/// SIGSTOP for up to several election timeouts (the sample elects after 200–400 ms) then SIGCONT;
/// a partition of one node; a lossy link. One node is hurt at a time so a majority can always
/// make progress; the hostile sender's bursts come on top, on their own schedule.
/// </summary>
internal sealed class Nemesis(CampaignRunner cluster, int seed)
{
    private readonly Random _random = new(seed);

    public void Run(TimeSpan duration)
    {
        TimeSpan end = cluster.Elapsed + duration;
        while (cluster.Elapsed < end)
        {
            cluster.Hold(Between(0.5, 2.0));
            if (cluster.Elapsed >= end)
            {
                break;
            }
            ulong target = Target();
            switch (_random.Next(4))
            {
                case 0:
                    cluster.KillHard(target);
                    cluster.Hold(Between(0.3, 3.0));
                    cluster.Restart(target);
                    break;
                case 1:
                    cluster.Pause(target);
                    cluster.Hold(Between(0.2, 2.0));
                    cluster.Resume(target);
                    break;
                case 2:
                    cluster.Partition(target);
                    cluster.Hold(Between(0.5, 4.0));
                    cluster.Heal(target);
                    break;
                default:
                    cluster.Lossy(target, _random.Next(10, 50));
                    cluster.Hold(Between(1.0, 4.0));
                    cluster.Heal(target);
                    break;
            }
        }
    }

    /// <summary>The leader half the time (faults there hurt most), otherwise any node.</summary>
    private ulong Target()
    {
        ulong leader = cluster.Leader();
        return leader != 0 && _random.Next(2) == 0 ? leader : (ulong)_random.Next(1, (int)CampaignRunner.Nodes + 1);
    }

    private TimeSpan Between(double minSeconds, double maxSeconds) =>
        TimeSpan.FromSeconds(minSeconds + _random.NextDouble() * (maxSeconds - minSeconds));
}
