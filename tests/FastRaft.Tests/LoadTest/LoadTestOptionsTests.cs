using FastRaft.LoadTest;
using FastRaft.LoadTest.Scenarios;
using FastRaft.LoadTest.Workload;

namespace FastRaft.Tests.LoadTest;

public class LoadTestOptionsTests
{
    [Fact]
    public void The_command_line_is_parsed_with_lists_and_models()
    {
        LoadTestOptions? o = LoadTestOptions.Parse(
            ["--scenario", "fastraft-udp", "--duration", "2.5", "--clients", "1,8,64", "--rate", "1000", "--model", "closed", "--out", "x"], out string? error);

        Assert.Null(error);
        Assert.NotNull(o);
        Assert.Equal("fastraft-udp", o.Scenario);
        Assert.Equal(2.5, o.DurationSeconds);
        Assert.Equal([1, 8, 64], o.Clients);
        Assert.True(o.RunClosed);
        Assert.False(o.RunOpen);
        Assert.Equal("x", o.OutputDirectory);
        Assert.Null(o.FastRaftInflight);
        Assert.Equal(4, LoadTestOptions.Parse(["--fastraft-inflight", "4"], out _)!.FastRaftInflight);
        Assert.True(o.FastRaftInlineCompletions);
        Assert.False(LoadTestOptions.Parse(["--fastraft-completions", "async"], out _)!.FastRaftInlineCompletions);
        Assert.True(LoadTestOptions.Parse(["--fastraft-completions", "Inline"], out _)!.FastRaftInlineCompletions);
    }

    [Fact]
    public void Gateway_scenarios_default_to_connections_times_pipeline_clients_unless_clients_are_given()
    {
        LoadScenario gateway = ScenarioCatalog.Resolve("sample-gateway", out _)!.Single();
        LoadScenario udp = ScenarioCatalog.Resolve("fastraft-udp", out _)!.Single();
        Assert.Equal(ScenarioCatalog.SampleGatewayGroup, gateway.Group);
        Assert.Equal(ScenarioCatalog.SampleGatewayGroup, ScenarioCatalog.Resolve("sample-gateway-tcp", out _)!.Single().Group);

        LoadTestOptions defaults = LoadTestOptions.Parse([], out _)!;
        Assert.Null(defaults.Clients);
        Assert.Equal(1000, defaults.Connections);
        Assert.Equal([4000], new LoadTestRunner(defaults, TextWriter.Null).Workloads(gateway).Where(w => w.Model == WorkloadModel.Closed).Select(w => w.Clients));
        Assert.Equal([1, 64], new LoadTestRunner(defaults, TextWriter.Null).Workloads(udp).Where(w => w.Model == WorkloadModel.Closed).Select(w => w.Clients));

        LoadTestOptions hundred = LoadTestOptions.Parse(["--connections", "100"], out _)!;
        Assert.Equal([4000], new LoadTestRunner(hundred, TextWriter.Null).Workloads(gateway).Where(w => w.Model == WorkloadModel.Closed).Select(w => w.Clients));
        LoadTestOptions piped = LoadTestOptions.Parse(["--connections", "300", "--pipeline", "2"], out _)!;
        Assert.Equal(2, piped.Pipeline);
        Assert.Equal([600], new LoadTestRunner(piped, TextWriter.Null).Workloads(gateway).Where(w => w.Model == WorkloadModel.Closed).Select(w => w.Clients));
        Assert.Equal(1, LoadTestOptions.Parse(["--connections", "9000"], out _)!.PipelineFor(9000));

        LoadTestOptions given = LoadTestOptions.Parse(["--connections", "50", "--clients", "7,9"], out _)!;
        Assert.Equal([7, 9], new LoadTestRunner(given, TextWriter.Null).Workloads(gateway).Where(w => w.Model == WorkloadModel.Closed).Select(w => w.Clients));
        Assert.Equal([7, 9], new LoadTestRunner(given, TextWriter.Null).Workloads(udp).Where(w => w.Model == WorkloadModel.Closed).Select(w => w.Clients));
    }

    [Theory]
    [InlineData("--connections", "0")]
    [InlineData("--connections", "many")]
    [InlineData("--pipeline", "-1")]
    [InlineData("--duration", "0")]
    [InlineData("--duration", "abc")]
    [InlineData("--clients", "1,,x")]
    [InlineData("--clients", "-3")]
    [InlineData("--model", "sideways")]
    [InlineData("--fastraft-inflight", "0")]
    [InlineData("--fastraft-completions", "sometimes")]
    [InlineData("--unknown", "1")]
    public void Bad_values_are_refused_with_a_message(string option, string value)
    {
        Assert.Null(LoadTestOptions.Parse([option, value], out string? error));
        Assert.Contains(option, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_missing_at_the_end_is_refused()
    {
        Assert.Null(LoadTestOptions.Parse(["--duration"], out string? error));
        Assert.NotNull(error);
    }

    [Fact]
    public void Scenarios_are_found_by_reflection_and_resolved_by_name()
    {
        string[] names = ScenarioCatalog.All.Select(s => s.Name).ToArray();
        Assert.Equal(["fastraft-udp", "fastraft-tcp", "fastraft-inmem", "fastraft-groups", "fastraft-matching", "dotnext-tcp", "fastraft-udp-wal", "dotnext-tcp-wal", "sample-gateway", "sample-gateway-tcp"], names);
        Assert.Equal(names.Length, ScenarioCatalog.Resolve("all", out _)!.Count);
        Assert.Equal(["dotnext-tcp", "fastraft-udp"], ScenarioCatalog.Resolve("DotNext-TCP, fastraft-udp,dotnext-tcp", out _)!.Select(s => s.Name));
        Assert.Null(ScenarioCatalog.Resolve("fastraft-udp,nope", out string? error));
        Assert.Contains("nope", error, StringComparison.Ordinal);
    }
}
