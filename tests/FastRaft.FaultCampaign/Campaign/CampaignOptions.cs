using System.Globalization;

namespace FastRaft.FaultCampaign.Campaign;

/// <summary>How long and how hard the campaign runs (<c>FastRaft.FaultCampaign [--duration S] [--seed N] ...</c>).</summary>
internal sealed record CampaignOptions
{
    public const string Usage = """
        FastRaft fault campaign: three FastRaft.Sample nodes (write-ahead logs, a cluster key) in
        Linux network namespaces under client load, while a nemesis kills them (kill -9) and
        restarts them from their logs, pauses them (SIGSTOP/SIGCONT), partitions them and makes
        their links lossy (nftables), and a hostile process floods them with random, mutated,
        replayed and forged datagrams. Ends with the client's exactly-once check and identical
        replica hashes. Needs Linux, root, iproute2 and nftables.

        usage: FastRaft.FaultCampaign [--duration S] [--seed N] [--sessions N] [--hostile-rate R] [--no-hostile]
          --duration S      seconds of faults (default 60); the run adds start-up and the final check
          --seed N          seed of the nemesis and of the hostile sender (default 1)
          --sessions N      concurrent client sessions (default 8)
          --hostile-rate R  hostile datagrams per second during a burst (default 10000)
          --no-hostile      leave the hostile sender out
        """;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    public int Seed { get; init; } = 1;

    public int Sessions { get; init; } = 8;

    public int HostileRate { get; init; } = 10_000;

    public bool Hostile { get; init; } = true;

    public static CampaignOptions Parse(IReadOnlyList<string> args)
    {
        var o = new CampaignOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--duration" => o with { Duration = TimeSpan.FromSeconds(Positive(Value(), "--duration")) },
                "--seed" => o with { Seed = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--sessions" => o with { Sessions = (int)Positive(Value(), "--sessions") },
                "--hostile-rate" => o with { HostileRate = (int)Positive(Value(), "--hostile-rate") },
                "--no-hostile" => o with { Hostile = false },
                _ => throw new ArgumentException($"unknown option {args[i]}\n\n{Usage}"),
            };
        }
        return o;
    }

    private static double Positive(string text, string name) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0
            ? v
            : throw new ArgumentException($"{name} needs a positive number");
}
