using System.Diagnostics;
using FastRaft.LoadTest.Targets;
using HdrHistogram;

namespace FastRaft.LoadTest.Workload;

/// <summary>
/// Counts what a workload's proposals did, from any number of threads: committed proposals'
/// latencies go to an HdrHistogram recorder (nanoseconds, 3 significant digits, up to 10
/// minutes), failures are counted by outcome. <see cref="TakeInterval"/> hands over what was
/// recorded since the last call, so each interval (a second, the warm-up) stands alone.
/// </summary>
public sealed class LoadMeter
{
    /// <summary>The highest latency recorded; anything slower is recorded as this.</summary>
    public const long MaxLatencyNanos = 600L * 1_000_000_000;

    private static readonly double s_nanosPerTick = 1e9 / Stopwatch.Frequency;
    private static readonly int s_outcomes = Enum.GetValues<ProposalOutcome>().Length;

    private readonly Recorder _recorder;
    private readonly Recorder[] _laneRecorders;
    private readonly long[] _failures = new long[s_outcomes];
    private HistogramBase? _spare;

    /// <param name="lanes">The target's lanes (<c>ILoadTarget.Lanes</c>): with more than one, each also gets a histogram of its own.</param>
    public LoadMeter(int lanes = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lanes, 1);
        _recorder = NewRecorder();
        _laneRecorders = new Recorder[lanes > 1 ? lanes : 0];
        for (int i = 0; i < _laneRecorders.Length; i++)
        {
            _laneRecorders[i] = NewRecorder();
        }
    }

    /// <summary>Lanes with a histogram of their own (0 for a single-lane target).</summary>
    public int Lanes => _laneRecorders.Length;

    private static Recorder NewRecorder() => HistogramFactory.With64BitBucketSize()
        .WithValuesFrom(1)
        .WithValuesUpTo(MaxLatencyNanos)
        .WithPrecisionOf(3)
        .WithThreadSafeWrites()
        .WithThreadSafeReads()
        .Create();

    /// <summary>A histogram with the recorder's range and precision.</summary>
    public static HistogramBase NewHistogram() => new LongHistogram(1, MaxLatencyNanos, 3);

    /// <summary>Records one proposal that took from <paramref name="startTimestamp"/> (a <see cref="Stopwatch"/> timestamp) until now.</summary>
    public void Record(ProposalOutcome outcome, long startTimestamp, int lane = 0)
    {
        if (outcome == ProposalOutcome.Committed)
        {
            long nanos = Math.Clamp((long)((Stopwatch.GetTimestamp() - startTimestamp) * s_nanosPerTick), 1, MaxLatencyNanos);
            _recorder.RecordValue(nanos);
            if ((uint)lane < (uint)_laneRecorders.Length)
            {
                _laneRecorders[lane].RecordValue(nanos);
            }
        }
        else
        {
            Interlocked.Increment(ref _failures[(int)outcome]);
        }
    }

    /// <summary>
    /// The committed latencies and the failures since the last call. The histogram is the
    /// meter's until the next call: copy what you need.
    /// </summary>
    public (HistogramBase Latencies, long[] Failures) TakeInterval()
    {
        // The recycled histogram must be one this recorder handed out.
        HistogramBase interval = _spare is null ? _recorder.GetIntervalHistogram() : _recorder.GetIntervalHistogram(_spare);
        _spare = interval;
        var failures = new long[s_outcomes];
        for (int i = 0; i < failures.Length; i++)
        {
            failures[i] = Interlocked.Exchange(ref _failures[i], 0);
        }
        return (interval, failures);
    }

    /// <summary>
    /// Each lane's committed latencies since the last call (fresh histograms, the caller's to
    /// keep); empty for a single-lane target. Not for the measured window's hot loop: it allocates.
    /// </summary>
    public HistogramBase[] TakeLaneIntervals()
    {
        var lanes = new HistogramBase[_laneRecorders.Length];
        for (int i = 0; i < lanes.Length; i++)
        {
            lanes[i] = _laneRecorders[i].GetIntervalHistogram();
        }
        return lanes;
    }
}
