using System.Diagnostics;
using System.Globalization;

namespace FastRaft.Simulation;

/// <summary>
/// Command line:
/// <c>--seeds N [--from S] [--jobs J] [--duration D]</c> runs seeds S..S+N-1 and reports failures;
/// <c>--seed S [--trace] [--duration D]</c> runs one seed, with --trace printing every event.
/// Exit code 0 when every seed passed, 1 when one failed, 2 on bad arguments.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (!CommandLine.TryParse(args, out CommandLine? cl, out string? error))
        {
            Console.Error.WriteLine(error);
            Console.Error.WriteLine(CommandLine.Usage);
            return 2;
        }
        return cl.Single is ulong seed ? RunOne(seed, cl) : RunCampaign(cl);
    }

    private static int RunOne(ulong seed, CommandLine cl)
    {
        TextWriter? trace = cl.Trace ? Console.Out : null;
        SimulationResult r = Simulation.RunSeed(seed, cl.Options, trace);
        Console.WriteLine(Summary(r));
        if (!r.Passed)
        {
            PrintFailure(r, cl, withTail: !cl.Trace);
            return 1;
        }
        return 0;
    }

    private static int RunCampaign(CommandLine cl)
    {
        var sw = Stopwatch.StartNew();
        int done = 0, failed = 0;
        long ops = 0, steps = 0, checkerSteps = 0, maxCheckerSteps = 0;
        ulong maxCheckerSeed = 0;
        int resolved = 0;
        var failures = new List<SimulationResult>();
        var gate = new Lock();
        var options = new ParallelOptions { MaxDegreeOfParallelism = cl.Jobs };
        Parallel.For(0L, cl.Count, options, i =>
        {
            ulong seed = cl.From + (ulong)i;
            SimulationResult r = Simulation.RunSeed(seed, cl.Options);
            lock (gate)
            {
                done++;
                ops += r.Operations;
                steps += r.Steps;
                checkerSteps += r.CheckerSteps;
                if (r.CheckerSteps > maxCheckerSteps || (r.CheckerSteps == maxCheckerSteps && r.Seed < maxCheckerSeed))
                {
                    (maxCheckerSteps, maxCheckerSeed) = (r.CheckerSteps, r.Seed);
                }
                resolved += r.ResolvedUnknownOutcomes ? 1 : 0;
                if (!r.Passed)
                {
                    failed++;
                    failures.Add(r);
                    Console.WriteLine($"FAIL seed {r.Seed}: {r.Invariant}: {FirstLine(r.Detail)}");
                }
                if (done % 1000 == 0)
                {
                    Console.WriteLine($"{done} seeds, {failed} failed, {sw.Elapsed.TotalSeconds:F0} s");
                }
            }
        });
        failures.Sort((a, b) => a.Seed.CompareTo(b.Seed));
        foreach (SimulationResult f in failures.Take(5))
        {
            PrintFailure(f, cl, withTail: true);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seeds {cl.From}..{cl.From + (ulong)cl.Count - 1}: {done} run, {failed} failed, {steps} steps, {ops} operations checked, {sw.Elapsed.TotalSeconds:F1} s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"linearizability checker: {checkerSteps} search steps, at most {maxCheckerSteps} (seed {maxCheckerSeed}) of {Linearizability.LinearizabilityChecker.DefaultBudget} per key; {resolved} histories undecided as recorded (checked again with outcomes resolved from the applies)"));
        return failed == 0 ? 0 : 1;
    }

    private static void PrintFailure(SimulationResult r, CommandLine cl, bool withTail)
    {
        Console.WriteLine();
        Console.WriteLine($"seed {r.Seed} violated {r.Invariant} at step {r.Steps} (time {r.Time})");
        Console.WriteLine($"  {r.Detail}");
        Console.WriteLine($"  scenario: {r.Scenario}");
        Console.WriteLine($"  replay: dotnet run -c Release --project tests/FastRaft.Simulation -- --seed {r.Seed}{cl.ReplayOptions} --trace");
        if (withTail)
        {
            // The run is deterministic: replaying it with a trace shows what led to the failure.
            var tail = new TailWriter(60);
            SimulationResult again = Simulation.RunSeed(r.Seed, cl.Options, tail);
            Console.WriteLine($"  last events of the replay ({(again.Invariant == r.Invariant && again.Steps == r.Steps ? "same failure" : "DIFFERENT OUTCOME")}):");
            foreach (string line in tail.Lines)
            {
                Console.WriteLine($"    {line}");
            }
        }
    }

    private static string Summary(SimulationResult r) => string.Create(CultureInfo.InvariantCulture,
        $"seed {r.Seed}: {(r.Passed ? "passed" : "FAILED")} after {r.Steps} steps (time {r.Time}); {(r.Groups == 1 ? "" : $"{r.Groups} groups ({r.UnknownGroupDrops} messages for unknown groups dropped, {r.StrayMessages} strays injected, {r.LogSyncs} log syncs); ")}{(r.QuiesceTicks == 0 ? "" : $"quiescence after {r.QuiesceTicks} ticks: {r.QuiescedGroupsAtFault} groups quiesced at the quiet fault, {r.QuiescedLeaderLosses} of them lost their leader, all re-elected after {r.ReElectionTime}; ")}{r.Operations} operations ({r.UnknownOperations} unknown, {r.NeverAppliedUnknown} of them never applied; {r.SupersededLeaseReads} superseded lease reads), committed {r.Committed}, {r.Leaders} leader terms, {r.Crashes} crashes, {r.ConfChanges} conf changes applied, {r.SnapshotsRestored} snapshots restored, at most {r.PeakPendingEvents} events pending; checker {r.CheckerSteps} steps{(r.ResolvedUnknownOutcomes ? " (undecided as recorded; unknown outcomes resolved from the applies)" : "")}; fingerprint {r.Fingerprint:x16}");

    private static string FirstLine(string? s) => s is null ? "" : s.Split('\n')[0];
}
