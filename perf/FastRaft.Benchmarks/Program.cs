using BenchmarkDotNet.Running;

namespace FastRaft.Benchmarks;

/// <summary>
/// Runs the suites chosen with BenchmarkDotNet's usual arguments, e.g.
/// <c>dotnet run -c Release --project perf/FastRaft.Benchmarks -- --filter '*RawNode*'</c>;
/// without a filter it asks which to run. Every suite runs with the memory diagnoser.
/// <c>-- profile ...</c> runs one workload in a plain loop for a profiler instead (see <see cref="ProfileLoop"/>);
/// <c>-- idle-groups ...</c> measures what thousands of quiesced groups cost (see <see cref="Hosting.IdleGroupsRun"/>);
/// <c>-- group-hub ...</c> measures the multi-group transport plumbing alone (see <see cref="Hosting.GroupHubRun"/>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "profile")
        {
            return ProfileLoop.Run(args);
        }
        if (args.Length > 0 && args[0] == "group-hub")
        {
            return Hosting.GroupHubRun.Run(args);
        }
        if (args.Length > 0 && args[0] == "idle-groups")
        {
            return Hosting.IdleGroupsRun.Run(args);
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchConfig.Create());
        return 0;
    }
}
