using FastRaft.Sample.Cli;

namespace FastRaft.Tests.Sample;

/// <summary>
/// <c>--otel-console</c>: the option parses (in any position, without changing the mode), the
/// usage names it, and a short demo run with it prints FastRaft's instruments through
/// OpenTelemetry's console exporter.
/// </summary>
public class SampleMetricsExportTests
{
    [Fact]
    public void The_otel_console_flag_is_parsed_and_documented_and_off_by_default()
    {
        Assert.True(SampleOptions.TryParse(["--duration", "5", "--otel-console", "--no-failover"], out SampleOptions on, out string? error), error);
        Assert.True(on.OtelConsole);
        Assert.Equal(SampleMode.Demo, on.Mode);
        Assert.False(on.Failover);

        Assert.True(SampleOptions.TryParse(["--node", "1", "--peers", "1=127.0.0.1:7001", "--insecure-no-auth", "--otel-console"], out SampleOptions node, out error), error);
        Assert.True(node.OtelConsole);
        Assert.Equal(SampleMode.Node, node.Mode);

        Assert.True(SampleOptions.TryParse([], out SampleOptions off, out _));
        Assert.False(off.OtelConsole);
        Assert.Contains("--otel-console", SampleOptions.Usage, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public void A_demo_run_with_the_flag_exports_the_node_and_transport_instruments_to_the_console()
    {
        // Longer than the 5 s export interval, so one export happens while the nodes run.
        using MultiProcessTests.Child run = MultiProcessTests.Child.Start("--duration", "7", "--sessions", "4", "--no-failover", "--otel-console");
        Assert.True(run.Process.WaitForExit(120_000), run.Text);
        run.Process.WaitForExit();
        Assert.True(run.Process.ExitCode == 0, run.Text);
        string output = run.Text;
        Assert.Contains("PASS: 3 replicas hold identical order books", output, StringComparison.Ordinal);
        Assert.Contains("Metric Name: raft.proposals.accepted", output, StringComparison.Ordinal);
        Assert.Contains("Metric Name: raft.commit_index", output, StringComparison.Ordinal);
        Assert.Contains("Metric Name: fastraft.udp.datagrams.sent", output, StringComparison.Ordinal);
        Assert.Contains("Name: FastRaft.Node", output, StringComparison.Ordinal);
    }
}
