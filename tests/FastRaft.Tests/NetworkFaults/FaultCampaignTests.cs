using FastRaft.FaultCampaign.Campaign;
using FastRaft.Tests.EndToEnd;
using Xunit.Abstractions;

namespace FastRaft.Tests.NetworkFaults;

/// <summary>
/// The short version of the fault campaign (tests/FastRaft.FaultCampaign; the README gives the
/// long one): three keyed sample nodes on write-ahead logs in network namespaces, under client
/// load, while the nemesis kills, restarts, pauses, partitions and degrades them and the hostile
/// sender floods them with random, mutated, replayed and forged datagrams. It must end with
/// every node running, progress after healing, identical replicas and every acknowledged order
/// applied exactly once. Skipped, with the reason, where namespaces cannot be made.
/// </summary>
[Trait("Category", "Integration")]
[Collection(nameof(EndToEndCollection))]
public sealed class FaultCampaignTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ShortCampaign = TimeSpan.FromSeconds(25);

    [SkippableFact]
    public void A_short_campaign_of_kills_pauses_partitions_loss_and_hostile_datagrams_loses_and_duplicates_nothing()
    {
        var runner = new CampaignRunner(new CampaignOptions { Duration = ShortCampaign, Seed = 7, HostileRate = 5_000 });
        CampaignResult result = runner.Run();
        Skip.If(result.Verdict == CampaignVerdict.NotRunnable, result.Reason);
        foreach (string line in result.Timeline)
        {
            output.WriteLine(line);
        }
        output.WriteLine(result.Details);
        Assert.True(result.Passed, $"{result.Reason}\n{result.Details}");
        // The campaign really did hurt the cluster, and the hostile sender really sent.
        Assert.True(result.Faults.Kills + result.Faults.Pauses + result.Faults.Partitions + result.Faults.LossyLinks >= 4, result.Faults.ToString());
        Assert.True(result.Faults.HostileBursts >= 2, result.Faults.ToString());
    }
}
