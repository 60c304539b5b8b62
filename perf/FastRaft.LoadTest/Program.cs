using FastRaft.LoadTest;
using FastRaft.LoadTest.Reports;
using FastRaft.LoadTest.Scenarios;

LoadTestOptions? options = LoadTestOptions.Parse(args, out string? error);
if (options is null)
{
    Console.Error.WriteLine(error);
    return 2;
}
if (options.HelpOnly)
{
    Console.WriteLine(LoadTestOptions.Usage);
    return 0;
}
if (options.ListOnly)
{
    foreach (LoadScenario s in ScenarioCatalog.All)
    {
        Console.WriteLine($"{s.Name,-20} {s.Group,-16} {s.Description}");
    }
    return 0;
}
IReadOnlyList<LoadScenario>? scenarios = ScenarioCatalog.Resolve(options.Scenario, out error);
if (scenarios is null)
{
    Console.Error.WriteLine(error);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
var runner = new LoadTestRunner(options, Console.Out);
string commandLine = "dotnet run -c Release --project perf/FastRaft.LoadTest -- " + string.Join(' ', args);
LoadTestReport report;
try
{
    report = await runner.RunAsync(scenarios, commandLine, cancel.Token);
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("cancelled");
    return 130;
}
ConsoleReport.Write(report, Console.Out);
foreach (string path in ReportWriter.WriteAll(report, options.OutputDirectory))
{
    Console.WriteLine($"wrote {path}");
}
return report.Results.Any(r => r.Error is not null) ? 1 : 0;
