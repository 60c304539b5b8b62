using System.Diagnostics;
using FastRaft.Benchmarks.Workloads;

namespace FastRaft.Benchmarks;

/// <summary>
/// Runs one workload in a plain loop, outside BenchmarkDotNet, for a sampling profiler (perf
/// with DOTNET_PerfMapEnabled=1) or compare.sh to use:
/// <c>profile KIND BATCH PAYLOAD ENTRIES</c>, KIND one of <c>single</c>, <c>single-streamed</c>
/// (the core alone, <see cref="SingleVoterWorkload"/>), <c>agent1</c>, <c>agent1-streamed</c>,
/// <c>three</c>, <c>three-streamed</c> (one or three agents, <see cref="AgentClusterWorkload"/>,
/// until quiet or streamed) and <c>three-closed</c> (three agents, closed loop; BATCH is the
/// number of proposals per call). Prints the wall and the CPU time per entry
/// (CPU time suffers less from a loaded machine) and the bytes allocated (a rough figure: it
/// includes the loop's own bookkeeping).
/// </summary>
internal static class ProfileLoop
{
    /// <summary>Entries committed before measuring: enough for every hot method to reach tier 1.</summary>
    public const long WarmupEntries = 300_000;

    public static int Run(string[] args)
    {
        if (args.Length != 5)
        {
            Console.Error.WriteLine("usage: profile single[-streamed]|agent1[-streamed]|three[-streamed]|three-closed BATCH PAYLOAD ENTRIES");
            return 2;
        }
        string kind = args[1];
        int batch = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
        int payload = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
        long entries = long.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture);
        AgentClusterWorkload? cluster = kind switch
        {
            "agent1" or "agent1-streamed" => new AgentClusterWorkload(1, payload),
            "three" or "three-streamed" => new AgentClusterWorkload(3, payload),
            "three-closed" => new AgentClusterWorkload(3, payload, continuationsInline: true),
            _ => null,
        };
        Func<int, ulong> step = kind switch
        {
            "single" => new SingleVoterWorkload(payload).ProposeAndCommit,
            "single-streamed" => new SingleVoterWorkload(payload).ProposeStreamed,
            "agent1" or "three" => cluster!.ProposeUntilQuiet,
            "agent1-streamed" or "three-streamed" => cluster!.ProposeStreamed,
            "three-closed" => cluster!.ProposeClosedLoop,
            _ => throw new ArgumentException($"unknown workload {kind}"),
        };
        // Warm up (tiering, pools) with a fixed amount of work, then measure.
        for (long done = 0; done < WarmupEntries; done += batch)
        {
            step(batch);
        }
        long passes = cluster?.Passes ?? 0;
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (long done = 0; done < entries; done += batch)
        {
            step(batch);
        }
        sw.Stop();
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        string perPass = cluster is null ? "" : $", {(double)(cluster.Passes - passes) / entries:F3} passes/entry";
        Console.WriteLine($"{kind} batch={batch} payload={payload}: {sw.Elapsed.TotalNanoseconds / entries:F1} ns/entry wall, {cpu.TotalNanoseconds / entries:F1} ns/entry CPU, {allocated} B allocated over {entries} entries{perPass}");
        return 0;
    }
}
