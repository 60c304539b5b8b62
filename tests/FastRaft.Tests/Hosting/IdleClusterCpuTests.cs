using System.Diagnostics;
using Xunit.Abstractions;

namespace FastRaft.Tests.Hosting;

/// <summary>
/// An idle cluster must not burn CPU: its node threads block between ticks. Runs alone (the
/// process's CPU time is measured) and reports the figure.
/// </summary>
[Collection(nameof(ProcessWideAllocation))]
public class IdleClusterCpuTests(ITestOutputHelper output)
{
    /// <summary>
    /// Three RaftNodes over the in-memory transport, the test cluster's settings (5 ms ticks, a
    /// heartbeat every tick: 200 heartbeat rounds a second), idle for 10 s. Asserted loosely: under
    /// half a core for the whole process, where spinning node threads would use three cores (or
    /// all the machine has). The measured figure is written to the test output.
    /// </summary>
    [Fact]
    public async Task An_idle_three_node_cluster_uses_little_cpu()
    {
        await using var cluster = new TestHostCluster(3);
        cluster.StartAll();
        await cluster.WaitForLeaderAsync();
        await Task.Delay(500);

        using Process self = Process.GetCurrentProcess();
        self.Refresh();
        TimeSpan cpuBefore = self.TotalProcessorTime;
        long ticksBefore = cluster.Running.Sum(n => n.Counters.Ticks);
        long loopsBefore = cluster.Running.Sum(n => n.Counters.LoopIterations);
        var wall = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(10));
        self.Refresh();
        double cpu = (self.TotalProcessorTime - cpuBefore).TotalSeconds;
        double seconds = wall.Elapsed.TotalSeconds;
        long ticks = cluster.Running.Sum(n => n.Counters.Ticks) - ticksBefore;
        long loops = cluster.Running.Sum(n => n.Counters.LoopIterations) - loopsBefore;

        double share = cpu / seconds;
        output.WriteLine($"idle 3-node cluster: {cpu * 1000:0} ms CPU over {seconds:0.0} s = {share:P1} of one core; {ticks} ticks, {loops} duty cycles");
        Assert.True(share < 0.5, $"{share:P1} of one core while idle ({loops} duty cycles, {ticks} ticks)");
        Assert.True(cluster.Running.Count(n => n.IsLeader) == 1);
    }
}
