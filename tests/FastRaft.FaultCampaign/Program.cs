using FastRaft.FaultCampaign.Campaign;
using FastRaft.FaultCampaign.Hostile;

namespace FastRaft.FaultCampaign;

internal static class Program
{
    private static int Main(string[] args)
    {
        try
        {
            if (args.Length > 0 && args[0] == "hostile")
            {
                return HostileSender.Run(HostileOptions.Parse(args[1..]), Console.Out);
            }
            if (args.Length > 0 && args[0] is "-h" or "--help")
            {
                Console.WriteLine(CampaignOptions.Usage);
                return 0;
            }
            CampaignOptions options = CampaignOptions.Parse(args);
            Console.WriteLine($"fault campaign: seed {options.Seed}, {options.Duration.TotalSeconds:0} s of faults{(options.Hostile ? ", hostile sender on" : "")}");
            CampaignResult result = new CampaignRunner(options, Console.Out).Run();
            Console.WriteLine();
            Console.WriteLine(result.Details);
            Console.WriteLine();
            Console.WriteLine(result.Verdict switch
            {
                CampaignVerdict.Passed => $"PASS: {result.Reason}",
                CampaignVerdict.NotRunnable => $"NOT RUN: {result.Reason}",
                _ => $"FAIL: {result.Reason}",
            });
            return result.Verdict switch
            {
                CampaignVerdict.Passed => 0,
                CampaignVerdict.NotRunnable => 2,
                _ => 1,
            };
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
    }
}
