using FastRaft.LoadTest;
using FastRaft.LoadTest.Results;
using FastRaft.LoadTest.Scenarios;
using FastRaft.LoadTest.Targets.Gateway;

namespace FastRaft.Tests.LoadTest;

/// <summary>
/// The gateway scenario end to end, briefly: the sample's 3-node cluster loaded through its
/// leader's client gateway by 50 TCP connections, closed model (several requests per connection)
/// and open model. Every order must be committed and accepted by the engine as new (no NotLeader,
/// refusal, stale or duplicate), replies must match requests one for one, and the run must end by
/// itself with every connection closed. Timing is not asserted.
/// </summary>
[Trait("Category", "Integration")]
public class LoadTesterGatewaySmokeTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fastraft-loadtest-gateway-" + Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData("sample-gateway")]
    [InlineData("sample-gateway-tcp")]
    public async Task Fifty_connections_commit_orders_with_no_failure(string scenario)
    {
        var options = new LoadTestOptions
        {
            Scenario = scenario,
            DurationSeconds = 1,
            WarmupSeconds = 0.3,
            PrimeEntries = 500,
            Connections = 50,
            Clients = [150],
            Rates = [300],
            MaxInFlight = 64,
            OutputDirectory = _folder,
            DataDirectory = _folder,
        };
        IReadOnlyList<LoadScenario> scenarios = ScenarioCatalog.Resolve(options.Scenario, out _)!;
        var log = new StringWriter();

        LoadTestReport report = await new LoadTestRunner(options, log).RunAsync(scenarios, "gateway smoke", CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(120));

        Assert.Equal(2, report.Results.Count);
        foreach (RunResult r in report.Results)
        {
            string what = $"{r.Scenario} {r.Workload}: {r.Error} {string.Join(", ", r.TargetCounters)}\n{log}";
            Assert.True(r.Error is null, what);
            Assert.Equal(ScenarioCatalog.SampleGatewayGroup, r.Group);
            Assert.True(r.Committed > 0, what);
            Assert.Equal(0, r.Failed);
            Assert.Equal(0, r.StillInFlight);
            Assert.True(r.Latency.P50Micros > 0 && r.Latency.P50Micros <= r.Latency.P99Micros, what);
            IReadOnlyDictionary<string, long> c = r.TargetCounters;
            // The window's orders went through the gateway and came back accepted, and no answer was anything else
            // (the counters are read at the window's edges, so requests sent in the warm-up may be answered in it).
            Assert.True(c["gateway.requests"] > 0 && c["client.accepted"] > 0, what);
            foreach (string failure in new[] { "client.engineRejected", "client.engineStaleOrDuplicate", "client.notLeader", "client.unavailable", "client.retry",
                "client.badRequest", "client.unmatchedReplies", "client.badReplies", "client.failedOnClose", "gateway.dropped" })
            {
                Assert.True(c[failure] == 0, $"{failure}: {what}");
            }
        }
        RunResult closed = report.Results.Single(r => r.Model == "closed");
        Assert.Contains("50 TCP connections", closed.Setup, StringComparison.Ordinal);
        // Several requests per connection: replies come in batches, answered with one send each.
        Assert.True(closed.TargetCounters["client.sends"] < closed.TargetCounters["client.requests"], string.Join(", ", closed.TargetCounters));
        Assert.Contains($"{scenario} stopped", log.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, GatewayTarget.LiveConnections);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        GC.SuppressFinalize(this);
    }
}
