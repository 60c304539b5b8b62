using System.Diagnostics;
using FastRaft.LoadTest.Results;
using FastRaft.LoadTest.Scenarios;
using FastRaft.LoadTest.Targets;
using FastRaft.LoadTest.Workload;

namespace FastRaft.LoadTest;

/// <summary>
/// Runs the chosen scenarios one after another, in this process: each target is started once,
/// runs every workload (closed ones, then open ones), and is disposed before the next starts, so
/// targets never share the machine. A target that fails is reported and the run goes on.
/// </summary>
public sealed class LoadTestRunner
{
    /// <summary>Clients of the priming workload.</summary>
    private const int PrimeClients = 64;

    private readonly LoadTestOptions _options;
    private readonly TextWriter _log;

    public LoadTestRunner(LoadTestOptions options, TextWriter log)
    {
        _options = options;
        _log = log;
    }

    /// <summary>The workloads run against <paramref name="scenario"/>: closed ones (<c>--clients</c>, or the scenario's default), then open ones.</summary>
    public IReadOnlyList<WorkloadSpec> Workloads(LoadScenario scenario)
    {
        var specs = new List<WorkloadSpec>();
        if (_options.RunClosed)
        {
            foreach (int clients in _options.Clients ?? scenario.DefaultClients(_options))
            {
                specs.Add(WorkloadSpec.ClosedWith(clients));
            }
        }
        if (_options.RunOpen)
        {
            foreach (int rate in _options.Rates)
            {
                specs.Add(WorkloadSpec.OpenAt(rate, _options.MaxInFlight));
            }
        }
        return specs;
    }

    public async Task<LoadTestReport> RunAsync(IReadOnlyList<LoadScenario> scenarios, string commandLine, CancellationToken cancellation)
    {
        var report = new LoadTestReport
        {
            Environment = RunEnvironment.Capture(commandLine),
            Settings = new LoadTestSettings(
                _options.Nodes, _options.PayloadSize, _options.WarmupSeconds, _options.DurationSeconds, _options.MaxInFlight, _options.PrimeEntries, _options.DataDirectory),
        };
        var settings = new TargetSettings
        {
            Nodes = _options.Nodes,
            PayloadSize = _options.PayloadSize,
            DataDirectory = _options.DataDirectory,
            FastRaftMaxInflightMsgs = _options.FastRaftInflight,
            FastRaftInlineCompletions = _options.FastRaftInlineCompletions,
            GatewayConnections = _options.Connections,
            Groups = _options.Groups,
            GroupRunnerThreads = _options.RunnerThreadsFor(_options.Nodes),
            SpreadLeaders = _options.SpreadLeaders,
            GroupTransport = _options.GroupTransport,
            Log = _log,
        };
        var runner = new WorkloadRunner(
            TimeSpan.FromSeconds(_options.WarmupSeconds),
            TimeSpan.FromSeconds(_options.DurationSeconds),
            TimeSpan.FromSeconds(_options.DrainSeconds),
            _options.PayloadSize,
            _log);
        foreach (LoadScenario scenario in scenarios)
        {
            cancellation.ThrowIfCancellationRequested();
            await RunScenarioAsync(scenario, settings, runner, Workloads(scenario), report, cancellation).ConfigureAwait(false);
        }
        report.Environment.LoadAverageAtEnd = RunEnvironment.ReadLoadAverage();
        return report;
    }

    private async Task RunScenarioAsync(
        LoadScenario scenario, TargetSettings settings, WorkloadRunner runner, IReadOnlyList<WorkloadSpec> workloads,
        LoadTestReport report, CancellationToken cancellation)
    {
        List<RunResult> results = report.Results;
        _log.WriteLine($"{scenario.Name}: {scenario.Description}");
        ILoadTarget target = scenario.CreateTarget(settings);
        await using (target.ConfigureAwait(false))
        {
            var started = Stopwatch.StartNew();
            try
            {
                await target.StartAsync(cancellation).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException && !cancellation.IsCancellationRequested)
            {
                _log.WriteLine($"  failed to start: {ex.GetType().Name}: {ex.Message}");
                foreach (WorkloadSpec spec in workloads)
                {
                    results.Add(Failed(scenario, target, spec, $"the target did not start: {ex.GetType().Name}: {ex.Message}"));
                }
                return;
            }
            _log.WriteLine($"  leader elected after {started.Elapsed.TotalMilliseconds:N0} ms; {target.Setup}");
            if (_options.IdleSeconds > 0)
            {
                report.Idle.Add(await MeasureIdleAsync(scenario, cancellation).ConfigureAwait(false));
            }
            if (_options.PrimeEntries > 0)
            {
                (long primed, TimeSpan took) = await runner.PrimeAsync(
                    target, PrimeClients, _options.PrimeEntries, TimeSpan.FromSeconds(_options.PrimeSeconds), cancellation).ConfigureAwait(false);
                _log.WriteLine($"  primed with {primed:N0} entries in {took.TotalSeconds:0.0} s");
            }
            foreach (WorkloadSpec spec in workloads)
            {
                // Start each window without the previous one's garbage.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                _log.WriteLine($"  {spec.Label}");
                RunResult result;
                try
                {
                    result = await runner.RunAsync(scenario, target, spec, cancellation).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException && !cancellation.IsCancellationRequested)
                {
                    _log.WriteLine($"  failed: {ex.GetType().Name}: {ex.Message}");
                    result = Failed(scenario, target, spec, $"{ex.GetType().Name}: {ex.Message}");
                }
                results.Add(result);
                _log.WriteLine(
                    $"    {result.Throughput:N0}/s committed, p50 {result.Latency.P50Micros:N0} us, p99 {result.Latency.P99Micros:N0} us, " +
                    $"p99.9 {result.Latency.P999Micros:N0} us, {result.AllocatedBytesPerEntry:N1} B/entry, failed {result.Failed:N0}" +
                    (result.Backlog > 0 ? $", backlog {result.Backlog:N0}" : ""));
                if (result.Groups is GroupSummary groups)
                {
                    _log.WriteLine($"    {groups}");
                }
            }
        }
        _log.WriteLine($"  {scenario.Name} stopped");
    }

    /// <summary>Watches the started target with no load: CPU and context switches of the whole process.</summary>
    private async Task<IdleResult> MeasureIdleAsync(LoadScenario scenario, CancellationToken cancellation)
    {
        // Let the election's aftermath and the JIT settle first.
        await Task.Delay(TimeSpan.FromSeconds(1), cancellation).ConfigureAwait(false);
        GC.Collect();
        ProcessSample before = ProcessSample.Take();
        await Task.Delay(TimeSpan.FromSeconds(_options.IdleSeconds), cancellation).ConfigureAwait(false);
        ProcessSample after = ProcessSample.Take();
        double seconds = Stopwatch.GetElapsedTime(before.Timestamp, after.Timestamp).TotalSeconds;
        var idle = new IdleResult(
            scenario.Name,
            seconds,
            (after.Cpu - before.Cpu).TotalSeconds / seconds,
            before.ContextSwitches < 0 ? -1 : (after.ContextSwitches - before.ContextSwitches) / seconds);
        _log.WriteLine($"  idle {seconds:0.0} s: CPU {idle.CpuShareOfOneCore:P1} of one core, {idle.ContextSwitchesPerSecond:N0} context switches/s (whole process)");
        return idle;
    }

    private static RunResult Failed(LoadScenario scenario, ILoadTarget target, WorkloadSpec spec, string error) => new()
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
        Latency = new LatencySummary(),
        Error = error,
    };
}
