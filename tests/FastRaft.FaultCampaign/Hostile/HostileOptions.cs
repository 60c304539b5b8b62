using System.Globalization;
using System.Net;

namespace FastRaft.FaultCampaign.Hostile;

/// <summary>
/// The hostile sender's command line: <c>hostile --members 1=ip:port,... --clients ip:port,...
/// --cluster-id N --duration S [--seed N] [--rate R] [--burst S] [--every S]</c>.
/// </summary>
internal sealed class HostileOptions
{
    public Dictionary<ulong, IPEndPoint> Members { get; } = [];

    public List<IPEndPoint> Clients { get; } = [];

    public ulong ClusterId { get; private set; }

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(10);

    public int Seed { get; private set; } = 1;

    /// <summary>Datagrams per second during a burst.</summary>
    public int Rate { get; private set; } = 10_000;

    public TimeSpan Burst { get; private set; } = TimeSpan.FromSeconds(2);

    /// <summary>From the start of one burst to the start of the next.</summary>
    public TimeSpan Every { get; private set; } = TimeSpan.FromSeconds(6);

    public static HostileOptions Parse(IReadOnlyList<string> args)
    {
        var o = new HostileOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--members":
                    foreach (string item in Value().Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        string[] parts = item.Split('=', 2);
                        o.Members[ulong.Parse(parts[0], CultureInfo.InvariantCulture)] = IPEndPoint.Parse(parts[1]);
                    }
                    break;
                case "--clients":
                    foreach (string item in Value().Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        o.Clients.Add(IPEndPoint.Parse(item));
                    }
                    break;
                case "--cluster-id":
                    o.ClusterId = ulong.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--duration":
                    o.Duration = Seconds(Value());
                    break;
                case "--seed":
                    o.Seed = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--rate":
                    o.Rate = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--burst":
                    o.Burst = Seconds(Value());
                    break;
                case "--every":
                    o.Every = Seconds(Value());
                    break;
                default:
                    throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        if (o.Members.Count == 0 || o.Rate < 1 || o.Burst > o.Every)
        {
            throw new ArgumentException("hostile needs --members, a positive --rate and --burst <= --every");
        }
        return o;
    }

    /// <summary>The arguments that <see cref="Parse"/> reads back.</summary>
    public static string[] Arguments(IReadOnlyDictionary<ulong, IPEndPoint> members, IEnumerable<IPEndPoint> clients, ulong clusterId,
        TimeSpan duration, int seed, int rate, TimeSpan burst, TimeSpan every) =>
    [
        "hostile",
        "--members", string.Join(",", members.Select(m => $"{m.Key}={m.Value}")),
        "--clients", string.Join(",", clients),
        "--cluster-id", clusterId.ToString(CultureInfo.InvariantCulture),
        "--duration", Text(duration),
        "--seed", seed.ToString(CultureInfo.InvariantCulture),
        "--rate", rate.ToString(CultureInfo.InvariantCulture),
        "--burst", Text(burst),
        "--every", Text(every),
    ];

    private static TimeSpan Seconds(string text) => TimeSpan.FromSeconds(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));

    private static string Text(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}
