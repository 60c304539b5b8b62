using FastRaft.Sample;

namespace FastRaft.Tests.Sample;

/// <summary>The sample's first command, run in-process with a short duration.</summary>
[Trait("Category", "Integration")]
public class SampleRunTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    private static async Task<(int Exit, string Output, string Errors)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        int exit = await SampleApp.RunAsync(args, output, errors).WaitAsync(RunTimeout);
        return (exit, output.ToString(), errors.ToString());
    }

    [Fact]
    public async Task The_demo_fails_over_keeps_trading_and_ends_with_identical_books_on_all_three_replicas()
    {
        (int exit, string output, string errors) = await RunAsync("--duration", "4", "--sessions", "8");
        Assert.True(exit == 0, output + errors);
        Assert.Contains("stopping the leader", output);
        Assert.Contains("restarting node", output);
        Assert.Contains("PASS: 3 replicas hold identical order books", output);
        Assert.Contains("(0 lost, 0 duplicated", output);
        Assert.Matches(@"latency\s+p50 [\d.]+ ms\s+p90 [\d.]+ ms\s+p99 [\d.]+ ms", output);
        Assert.Contains("no leader ", output);

        var replicas = SampleOutput.Replicas(output);
        Assert.Equal([1UL, 2UL, 3UL], replicas.Select(r => r.Node).Order());
        Assert.Single(replicas.Select(r => (r.Applied, r.State)).Distinct());
        Assert.True(replicas[0].Applied > 100, output);

        // A line per second, and orders kept committing after the fail-over.
        var progress = SampleOutput.Progress(output.Split('\n'));
        Assert.True(progress.Count >= 3, output);
        int stop = output.Split('\n').ToList().FindIndex(l => l.Contains("stopping the leader", StringComparison.Ordinal));
        var after = SampleOutput.Progress(output.Split('\n').Skip(stop + 1));
        Assert.Contains(after, p => p.Leader != 0 && p.Commit > 0);
    }

    [Fact]
    public async Task The_demo_over_tcp_fails_over_and_ends_with_identical_books_on_all_three_replicas()
    {
        (int exit, string output, string errors) = await RunAsync("--duration", "4", "--sessions", "8", "--transport", "tcp");
        Assert.True(exit == 0, output + errors);
        Assert.Contains("Raft over TCP on 127.0.0.1", output);
        Assert.Contains("stopping the leader", output);
        Assert.Contains("restarting node", output);
        Assert.Contains("PASS: 3 replicas hold identical order books", output);
        Assert.Contains("(0 lost, 0 duplicated", output);
        var replicas = SampleOutput.Replicas(output);
        Assert.Single(replicas.Select(r => (r.Applied, r.State)).Distinct());
        Assert.True(replicas[0].Applied > 100, output);
    }

    [Fact]
    public async Task A_demo_on_write_ahead_logs_resumes_from_them_on_the_next_run()
    {
        string dir = Path.Combine(Path.GetTempPath(), "fastraft-sample-" + Guid.NewGuid().ToString("N"));
        try
        {
            (int exit1, string out1, string err1) = await RunAsync("--duration", "1.5", "--sessions", "4", "--no-failover", "--data", dir);
            Assert.True(exit1 == 0, out1 + err1);
            ulong first = SampleOutput.Replicas(out1)[0].Applied;
            Assert.True(Directory.Exists(Path.Combine(dir, "node-1")));

            (int exit2, string out2, string err2) = await RunAsync("--duration", "1.5", "--sessions", "4", "--no-failover", "--data", dir);
            Assert.True(exit2 == 0, out2 + err2);
            var replicas = SampleOutput.Replicas(out2);
            Assert.Single(replicas.Select(r => (r.Applied, r.State)).Distinct());
            // The second run's log continues the first one's.
            Assert.True(replicas[0].Applied > first, $"{replicas[0].Applied} <= {first}\n{out2}");
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public async Task A_demo_whose_node_lost_its_log_is_refused_rather_than_rebootstrapped()
    {
        string dir = Path.Combine(Path.GetTempPath(), "fastraft-sample-" + Guid.NewGuid().ToString("N"));
        try
        {
            (int exit, string output, string errors) = await RunAsync("--duration", "1", "--sessions", "2", "--no-failover", "--data", dir);
            Assert.True(exit == 0, output + errors);
            Directory.Delete(Path.Combine(dir, "node-2"), recursive: true);
            (exit, output, errors) = await RunAsync("--duration", "1", "--sessions", "2", "--no-failover", "--data", dir);
            Assert.Equal(1, exit);
            Assert.Equal($"error: data directory {dir}: node-2 holds no log while node-1 does; a node must not come back without its data "
                + $"(it would forget its term and vote): delete {dir} to start a new demo cluster", errors.Trim());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Bad_arguments_print_the_usage_and_exit_with_two()
    {
        (int exit, _, string errors) = await RunAsync("--node", "4", "--peers", "1=127.0.0.1:7001");
        Assert.Equal(2, exit);
        Assert.Contains("node 4 is not in --peers", errors);
        Assert.Contains("usage:", errors);
        (exit, _, errors) = await RunAsync("--duration", "-1");
        Assert.Equal(2, exit);
        (exit, string help, _) = await RunAsync("--help");
        Assert.Equal(0, exit);
        Assert.Contains("--client --peers LIST", help);
    }
}
