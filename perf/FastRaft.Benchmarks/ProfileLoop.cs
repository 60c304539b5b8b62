using System.Diagnostics;
using FastRaft.Benchmarks.Workloads;

namespace FastRaft.Benchmarks;

/// <summary>
/// Runs one workload in a plain loop, outside BenchmarkDotNet, for a sampling profiler (perf
/// with DOTNET_PerfMapEnabled=1) or compare.sh to use:
/// <c>profile single|three|three-batch[-streamed] BATCH PAYLOAD ENTRIES</c> (the workloads of
/// the RawNode benchmarks, until quiet or streamed). Prints the wall and the CPU time per entry
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
            Console.Error.WriteLine("usage: profile single|three|three-batch[-streamed] BATCH PAYLOAD ENTRIES");
            return 2;
        }
        string kind = args[1];
        int batch = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
        int payload = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
        long entries = long.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture);
        Func<int, ulong> step = kind switch
        {
            "single" => new SingleVoterWorkload(payload).ProposeAndCommit,
            "single-streamed" => new SingleVoterWorkload(payload).ProposeStreamed,
            "three" => new ThreeVoterWorkload(payload).ProposeEach,
            "three-streamed" => new ThreeVoterWorkload(payload).ProposeEachStreamed,
            "three-batch" => new ThreeVoterWorkload(payload).ProposeAsOneMessage,
            "three-batch-streamed" => new ThreeVoterWorkload(payload).ProposeAsOneMessageStreamed,
            _ => throw new ArgumentException($"unknown workload {kind}"),
        };
        // Warm up (tiering, pools) with a fixed amount of work, then measure.
        for (long done = 0; done < WarmupEntries; done += batch)
        {
            step(batch);
        }
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
        Console.WriteLine($"{kind} batch={batch} payload={payload}: {sw.Elapsed.TotalNanoseconds / entries:F1} ns/entry wall, {cpu.TotalNanoseconds / entries:F1} ns/entry CPU, {allocated} B allocated over {entries} entries");
        return 0;
    }
}
