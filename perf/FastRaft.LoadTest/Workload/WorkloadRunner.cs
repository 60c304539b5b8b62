using System.Diagnostics;
using FastRaft.LoadTest.Results;
using FastRaft.LoadTest.Scenarios;
using FastRaft.LoadTest.Targets;
using HdrHistogram;

namespace FastRaft.LoadTest.Workload;

/// <summary>
/// Runs one workload against a started target: warm-up (measured, then discarded), then the
/// window, sampled every second; the load runs without a break across the boundary. Process
/// counters (allocation, GC, CPU) are read at the window's edges; proposals still outstanding at
/// the end are waited for and their latencies kept (they were sent within the window).
/// </summary>
public sealed class WorkloadRunner
{
    private readonly TimeSpan _warmup;
    private readonly TimeSpan _duration;
    private readonly TimeSpan _drain;
    private readonly int _payloadSize;
    private readonly TextWriter _log;

    public WorkloadRunner(TimeSpan warmup, TimeSpan duration, TimeSpan drain, int payloadSize, TextWriter log)
    {
        _warmup = warmup;
        _duration = duration;
        _drain = drain;
        _payloadSize = payloadSize;
        _log = log;
    }

    public async Task<RunResult> RunAsync(LoadScenario scenario, ILoadTarget target, WorkloadSpec spec, CancellationToken cancellation)
    {
        var meter = new LoadMeter(target.Lanes);
        IWorkload workload = spec.Model == WorkloadModel.Closed
            ? new ClosedWorkload(target, meter, spec.Clients, _payloadSize)
            : new OpenWorkload(target, meter, spec.Rate, spec.MaxInFlight, _payloadSize);

        workload.Start();
        await Task.Delay(_warmup, cancellation).ConfigureAwait(false);
        (HistogramBase warm, long[] warmFailures) = meter.TakeInterval();
        _log.WriteLine($"  warm-up {_warmup.TotalSeconds:0.#} s: {warm.TotalCount:N0} committed, {Sum(warmFailures):N0} failed");

        // Everything the window keeps is allocated before it starts, so it is not counted.
        HistogramBase total = LoadMeter.NewHistogram();
        var failures = new long[warmFailures.Length];
        int seconds = Math.Max(1, (int)Math.Ceiling(_duration.TotalSeconds));
        var intervals = new List<IntervalStat>(seconds);
        IReadOnlyDictionary<string, long> countersBefore = target.Counters();
        (workload as OpenWorkload)?.ResetSendLag();
        meter.TakeLaneIntervals();
        ProcessSample before = ProcessSample.Take();
        long committed = 0;
        for (int s = 1; s <= seconds; s++)
        {
            long due = before.Timestamp + (long)(Math.Min(s, _duration.TotalSeconds) * Stopwatch.Frequency);
            TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellation).ConfigureAwait(false);
            }
            (HistogramBase interval, long[] intervalFailures) = meter.TakeInterval();
            committed += interval.TotalCount;
            total.Add(interval);
            Add(failures, intervalFailures);
            intervals.Add(new IntervalStat(
                s,
                interval.TotalCount,
                Sum(intervalFailures),
                Micros(interval, 50),
                Micros(interval, 99),
                interval.TotalCount == 0 ? 0 : interval.GetMaxValue() / 1000.0));
        }
        ProcessSample after = ProcessSample.Take();
        IReadOnlyDictionary<string, long> countersAfter = target.Counters();
        long backlog = workload.Backlog;

        await workload.StopAsync(_drain).ConfigureAwait(false);
        (TimeSpan lagMean, TimeSpan lagMax) = workload is OpenWorkload open ? open.SendLag : default;
        (HistogramBase tail, _) = meter.TakeInterval();
        total.Add(tail);
        HistogramBase[] lanes = meter.TakeLaneIntervals();

        double elapsed = Stopwatch.GetElapsedTime(before.Timestamp, after.Timestamp).TotalSeconds;
        GroupSummary? groups = lanes.Length == 0 ? null : GroupSummary.Of(lanes, elapsed);
        long allocated = after.AllocatedBytes - before.AllocatedBytes;
        double cpu = (after.Cpu - before.Cpu).TotalSeconds;
        var byOutcome = new Dictionary<string, long>();
        for (int i = 0; i < failures.Length; i++)
        {
            if (failures[i] > 0)
            {
                byOutcome[((ProposalOutcome)i).ToString()] = failures[i];
            }
        }
        return new RunResult
        {
            Scenario = scenario.Name,
            Group = scenario.Group,
            IsBaseline = scenario.IsBaseline,
            Setup = target.Setup,
            Model = spec.Model == WorkloadModel.Closed ? "closed" : "open",
            Workload = spec.Label,
            WorkloadKey = spec.Key,
            Clients = spec.Clients,
            OfferedRate = spec.Rate,
            MaxInFlight = spec.MaxInFlight,
            WarmupSeconds = _warmup.TotalSeconds,
            DurationSeconds = elapsed,
            Committed = committed,
            Failed = Sum(failures),
            Failures = byOutcome,
            Backlog = backlog,
            StillInFlight = workload.InFlight,
            Throughput = committed / elapsed,
            Latency = Summarize(total),
            Groups = groups,
            Intervals = intervals,
            AllocatedBytes = allocated,
            AllocatedBytesPerEntry = committed == 0 ? 0 : (double)allocated / committed,
            Gen0Collections = after.Gen0 - before.Gen0,
            Gen1Collections = after.Gen1 - before.Gen1,
            Gen2Collections = after.Gen2 - before.Gen2,
            GcPauseMilliseconds = (after.GcPause - before.GcPause).TotalMilliseconds,
            CpuSeconds = cpu,
            CpuMicrosecondsPerEntry = committed == 0 ? 0 : cpu * 1e6 / committed,
            ContextSwitchesPerEntry = committed == 0 || before.ContextSwitches < 0 ? 0 : (double)(after.ContextSwitches - before.ContextSwitches) / committed,
            TargetCounters = Delta(countersBefore, countersAfter),
            SendLagMeanMicros = lagMean.TotalMicroseconds,
            SendLagMaxMicros = lagMax.TotalMicroseconds,
        };
    }

    /// <summary>
    /// Brings a freshly started target to its steady state before anything is measured: a closed
    /// workload runs until <paramref name="entries"/> are committed or <paramref name="limit"/>
    /// passed, so logs have grown to their compaction size, code is fully jitted and pools are full.
    /// </summary>
    public async Task<(long Committed, TimeSpan Elapsed)> PrimeAsync(ILoadTarget target, int clients, long entries, TimeSpan limit, CancellationToken cancellation)
    {
        var meter = new LoadMeter();
        var workload = new ClosedWorkload(target, meter, clients, _payloadSize);
        var clock = Stopwatch.StartNew();
        long committed = 0;
        workload.Start();
        while (committed < entries && clock.Elapsed < limit)
        {
            await Task.Delay(100, cancellation).ConfigureAwait(false);
            committed += meter.TakeInterval().Latencies.TotalCount;
        }
        await workload.StopAsync(_drain).ConfigureAwait(false);
        committed += meter.TakeInterval().Latencies.TotalCount;
        return (committed, clock.Elapsed);
    }

    public static LatencySummary Summarize(HistogramBase h)
    {
        var curve = new List<double[]>();
        if (h.TotalCount > 0)
        {
            foreach (HdrHistogram.Iteration.HistogramIterationValue v in h.Percentiles(5))
            {
                curve.Add([Math.Round(v.PercentileLevelIteratedTo, 5), h.HighestEquivalentValue(v.ValueIteratedTo) / 1000.0]);
            }
        }
        return new LatencySummary
        {
            Count = h.TotalCount,
            MeanMicros = h.TotalCount == 0 ? 0 : h.GetMean() / 1000.0,
            P50Micros = Micros(h, 50),
            P90Micros = Micros(h, 90),
            P99Micros = Micros(h, 99),
            P999Micros = Micros(h, 99.9),
            P9999Micros = Micros(h, 99.99),
            MaxMicros = h.TotalCount == 0 ? 0 : h.GetMaxValue() / 1000.0,
            Curve = curve,
        };
    }

    private static double Micros(HistogramBase h, double percentile) =>
        h.TotalCount == 0 ? 0 : h.GetValueAtPercentile(percentile) / 1000.0;

    private static Dictionary<string, long> Delta(IReadOnlyDictionary<string, long> before, IReadOnlyDictionary<string, long> after)
    {
        var delta = new Dictionary<string, long>();
        foreach (KeyValuePair<string, long> kv in after)
        {
            delta[kv.Key] = kv.Value - before.GetValueOrDefault(kv.Key);
        }
        return delta;
    }

    private static long Sum(long[] values)
    {
        long sum = 0;
        foreach (long v in values)
        {
            sum += v;
        }
        return sum;
    }

    private static void Add(long[] into, long[] values)
    {
        for (int i = 0; i < into.Length; i++)
        {
            into[i] += values[i];
        }
    }
}
