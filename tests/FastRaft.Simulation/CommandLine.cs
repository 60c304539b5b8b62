using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace FastRaft.Simulation;

/// <summary>The simulator's arguments.</summary>
internal sealed class CommandLine
{
    public const string Usage =
        "usage: FastRaft.Simulation --seeds N [--from S] [--jobs J] [--duration D] [--groups G [--quiesce]] [--wal] [--strict-lease] [--immediate-step-down] [--sabotage NAME [--sabotage-group N]]\n" +
        "       FastRaft.Simulation --seed S [--trace [--trace-sends]] [--duration D] [--groups G [--quiesce]] [--wal] [--strict-lease] [--immediate-step-down] [--sabotage NAME [--sabotage-group N]]";

    public ulong? Single { get; private set; }
    public long Count { get; private set; } = 100;
    public ulong From { get; private set; } = 1;
    public int Jobs { get; private set; } = 1;
    public bool Trace { get; private set; }

    /// <summary>etcd's immediate step-down of a self-removing leader (no StepDownAfterCatchUp).</summary>
    public bool ImmediateStepDown { get; private set; }

    /// <summary>The nodes run on the write-ahead log.</summary>
    public bool Wal { get; private set; }

    /// <summary>The trace also shows every message sent.</summary>
    public bool TraceSends { get; private set; }
    public long Duration { get; private set; } = SimulationOptions.Default.FaultyDuration;

    /// <summary>Keep lease reads answered by a superseded leader in the history (shows etcd's lease anomaly).</summary>
    public bool StrictLease { get; private set; }

    /// <summary>A deliberate host bug, to see the checks catch it.</summary>
    public Sabotage Sabotage { get; private set; }

    /// <summary>The only group the sabotage applies to (0: all).</summary>
    public ulong SabotageGroup { get; private set; }

    /// <summary>Groups per server (1: the single-group simulation; 0: drawn per seed).</summary>
    public int Groups { get; private set; } = 1;

    /// <summary>The agents quiesce when idle (multi-group runs), with the quiet phase's check.</summary>
    public bool Quiesce { get; private set; }

    public SimulationOptions Options => new() { Quiesce = Quiesce, FaultyDuration = Duration, StrictLeaseReads = StrictLease, Sabotage = Sabotage, SabotageGroup = SabotageGroup, TraceSends = TraceSends, WriteAheadLog = Wal, ImmediateStepDown = ImmediateStepDown, Groups = Groups };

    /// <summary>The options to repeat on a replay command line.</summary>
    public string ReplayOptions =>
        (Duration == SimulationOptions.Default.FaultyDuration ? "" : $" --duration {Duration}") + (Wal ? " --wal" : "") + (ImmediateStepDown ? " --immediate-step-down" : "") + (StrictLease ? " --strict-lease" : "")
        + (Groups == 1 ? "" : $" --groups {Groups}") + (Quiesce ? " --quiesce" : "")
        + (Sabotage == Sabotage.None ? "" : $" --sabotage {Sabotage}") + (SabotageGroup == 0 ? "" : $" --sabotage-group {SabotageGroup}");

    public static bool TryParse(string[] args, [NotNullWhen(true)] out CommandLine? cl, [NotNullWhen(false)] out string? error)
    {
        var c = new CommandLine();
        cl = null;
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a == "--trace")
            {
                c.Trace = true;
                continue;
            }
            if (a == "--trace-sends")
            {
                c.Trace = true;
                c.TraceSends = true;
                continue;
            }
            if (a == "--immediate-step-down")
            {
                c.ImmediateStepDown = true;
                continue;
            }
            if (a == "--wal")
            {
                c.Wal = true;
                continue;
            }
            if (a == "--quiesce")
            {
                c.Quiesce = true;
                continue;
            }
            if (a == "--strict-lease")
            {
                c.StrictLease = true;
                continue;
            }
            if (i + 1 >= args.Length)
            {
                error = $"missing value after {a}";
                return false;
            }
            string v = args[++i];
            if (a == "--sabotage")
            {
                if (!Enum.TryParse(v, ignoreCase: true, out Sabotage sabotage))
                {
                    error = $"unknown sabotage {v}";
                    return false;
                }
                c.Sabotage = sabotage;
                continue;
            }
            bool ok = a switch
            {
                "--seeds" => Set(v, x => c.Count = (long)x, min: 1),
                "--from" => Set(v, x => c.From = x, min: 0),
                "--seed" => Set(v, x => c.Single = x, min: 0),
                "--jobs" => Set(v, x => c.Jobs = (int)Math.Min(x, 64), min: 1),
                "--duration" => Set(v, x => c.Duration = (long)Math.Min(x, 10_000_000), min: 100),
                "--groups" => Set(v, x => c.Groups = (int)Math.Min(x, 64), min: 0),
                "--sabotage-group" => Set(v, x => c.SabotageGroup = x, min: 1),
                _ => false,
            };
            if (!ok)
            {
                error = $"bad argument {a} {v}";
                return false;
            }
        }
        if (c.Quiesce && c.Groups == 1)
        {
            error = "--quiesce needs --groups G with G > 1 (or 0): quiescence is a multi-group host's";
            return false;
        }
        cl = c;
        return true;
    }

    private static bool Set(string v, Action<ulong> set, ulong min)
    {
        if (!ulong.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out ulong x) || x < min)
        {
            return false;
        }
        set(x);
        return true;
    }
}
