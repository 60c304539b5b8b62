using System.Diagnostics;
using System.Globalization;
using FastRaft.Benchmarks.Workloads;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.Groups;
using FastRaft.Hosting.InMemory;
using FastRaft.Storage;

namespace FastRaft.Benchmarks.Hosting;

/// <summary>
/// What idle groups cost (issue 14's budget: 10,000 idle groups per node at most 5% of one core
/// and 1 KiB of heap each, no garbage): <c>idle-groups [--groups N] [--seconds T] [--quiesce-after Q]
/// [--tick-ms M]</c>. Three in-process "nodes", each a <see cref="RaftGroupHost"/> with one runner
/// thread, hold one replica of each of N three-replica groups (per-group
/// <see cref="InMemoryTransport"/>s, all of a node on its runner's signal; liveness from a table
/// where every node is live). Once every group has elected and every replica is quiesced, the run
/// measures for T seconds: CPU per node (% of one core, the process's CPU time over 3), heap per
/// idle replica (what a full GC keeps, over 3N) and bytes allocated. <c>--quiesce-after 0</c> runs
/// the same groups without quiescence, for comparison (they never go quiet: it measures after the
/// elections). <c>--shared-transport 1</c> builds the deployment issue 14 describes instead: each
/// node's groups share one transport (a <see cref="GroupTransportHub"/> on one in-memory network
/// for the three nodes, the hub's liveness), so the figure has no per-group network in it.
/// <c>--meters 1</c> gives each replica its own "FastRaft.Node" meter as well
/// (<see cref="RaftGroupHostOptions.PublishGroupMeters"/>; default 0, the host's default: only
/// each host's one "FastRaft.Groups" meter).
/// </summary>
internal static class IdleGroupsRun
{
    private const int Nodes = 3;

    public static int Run(string[] args)
    {
        int groups = 10_000;
        int seconds = 10;
        int quiesceAfter = 3;
        int tickMs = 10;
        bool sharedTransport = false;
        bool meters = false;
        bool dedicatedRunner = true;
        bool walk = false;
        if (args.Length > 1 && args[1] == "--breakdown")
        {
            return IdleGroupsBreakdown.Run();
        }
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            int value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--groups": groups = value; break;
                case "--seconds": seconds = value; break;
                case "--quiesce-after": quiesceAfter = value; break;
                case "--tick-ms": tickMs = value; break;
                case "--shared-transport": sharedTransport = value != 0; break;
                case "--meters": meters = value != 0; break;
                case "--dedicated-runner": dedicatedRunner = value != 0; break;
                case "--walk": walk = value != 0; break;
                default:
                    Console.Error.WriteLine("usage: idle-groups [--groups N] [--seconds T] [--quiesce-after Q] [--tick-ms M] [--shared-transport 0|1] [--dedicated-runner 0|1] [--meters 0|1] [--walk 0|1]");
                    return 2;
            }
        }
        return RunAsync(groups, seconds, quiesceAfter, TimeSpan.FromMilliseconds(tickMs), sharedTransport, meters, dedicatedRunner, walk).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int groupCount, int seconds, int quiesceAfter, TimeSpan tick, bool sharedTransport, bool meters, bool dedicatedRunner, bool walk)
    {
        var liveness = new TableLiveness(Nodes);
        var hosts = new RaftGroupHost[Nodes];
        // Shared: one network for the process's three nodes, each host's transport woken by its runner.
        InMemoryNetwork? processNetwork = sharedTransport ? new InMemoryNetwork(1) : null;
        for (int n = 0; n < Nodes; n++)
        {
            // Shared: by default the hub on a runner of its own, so its liveness pings do not make
            // the groups' runner look over every group for input (DedicatedTransportRunner).
            var hostOptions = new RaftGroupHostOptions
            {
                RunnerThreads = sharedTransport && dedicatedRunner ? 2 : 1,
                DedicatedTransportRunner = sharedTransport && dedicatedRunner,
                Name = $"node{n + 1}",
                PublishGroupMeters = meters,
            };
            hosts[n] = processNetwork is null
                ? new RaftGroupHost(hostOptions)
                : new RaftGroupHost(hostOptions, processNetwork.CreateTransport((ulong)n + 1));
        }
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var sw = Stopwatch.StartNew();
        var agents = new List<RaftNodeAgent<long>>(groupCount * Nodes);
        ulong[] members = [1, 2, 3];
        for (int g = 1; g <= groupCount; g++)
        {
            InMemoryNetwork? network = sharedTransport ? null : new InMemoryNetwork(g);
            for (int n = 0; n < Nodes; n++)
            {
                ulong id = (ulong)n + 1;
                var options = new RaftNodeOptions
                {
                    Raft = new RaftConfig
                    {
                        Id = id,
                        ElectionTick = 10,
                        HeartbeatTick = 1,
                        PreVote = true,
                        CheckQuorum = true,
                    },
                    TickInterval = tick,
                    InitialMembers = members,
                    QuiesceAfterTicks = quiesceAfter,
                    // Shared: the host's liveness (its hub's pings).
                    Liveness = quiesceAfter > 0 && !sharedTransport ? liveness : null,
                };
                IWaitSource runnerSignal = hosts[n].Runners[0].WaitSource;
                RaftNode<long> node = network is null
                    ? hosts[n].CreateGroup((ulong)g, options, new MemoryStorage(), new AppliedCounter())
                    : hosts[n].CreateGroup((ulong)g, options, new MemoryStorage(), network.CreateTransport(id, runnerSignal), new AppliedCounter());
                agents.Add(node.Agent);
            }
        }
        Console.WriteLine($"created {groupCount} groups x {Nodes} replicas in {sw.Elapsed.TotalSeconds:F1} s");

        bool settled = await WaitForIdle(agents, groupCount, quiesceAfter > 0, TimeSpan.FromMinutes(10));
        Console.WriteLine($"{(settled ? "settled" : "NOT settled")} after {sw.Elapsed.TotalSeconds:F1} s: {Leaders(agents)} leaders, {agents.Count(a => a.IsQuiesced)} of {agents.Count} replicas quiesced");
        await Task.Delay(TimeSpan.FromSeconds(1));

        long heapIdle = GC.GetTotalMemory(forceFullCollection: true);
        if (walk && agents.Count > Nodes)
        {
            // Replica 1 of group 1 against replica 1 of group 2 (same node): what group 1 holds alone.
            HeapWalk.Print(hosts[0].TryGetGroup(1, out IRaftGroup? a) ? a : agents[0], hosts[0].TryGetGroup(2, out IRaftGroup? b) ? b : agents[Nodes]);
        }
        // The full collection's own after-work (background threads) is not the groups' cost.
        await Task.Delay(TimeSpan.FromSeconds(3));
        long wakesBefore = Sum(agents, static c => c.Wakes);
        long ticksBefore = Sum(agents, static c => c.Ticks);
        long sentBefore = Sum(agents, static c => c.MessagesSent);
        int gcsBefore = GC.CollectionCount(0);
        long blocksBefore = RunnerBlocks(hosts);
        long signalsBefore = RunnerSignals(hosts);
        using Process process = Process.GetCurrentProcess();
        TimeSpan cpuBefore = process.TotalProcessorTime;
        var window = Stopwatch.StartNew();
        // Bytes allocated by the process while it sleeps here: the runners' (this thread makes none).
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        double elapsed = window.Elapsed.TotalSeconds;
        process.Refresh();
        TimeSpan cpu = process.TotalProcessorTime - cpuBefore;
        int gcs = GC.CollectionCount(0) - gcsBefore;
        long blocks = RunnerBlocks(hosts) - blocksBefore;
        long signals = RunnerSignals(hosts) - signalsBefore;

        int replicas = groupCount * Nodes;
        Console.WriteLine($"idle for {elapsed:F1} s, {groupCount} groups, quiesce after {quiesceAfter} ticks of {tick.TotalMilliseconds} ms, {(sharedTransport ? (dedicatedRunner ? "one shared transport per node, its hub on a runner of its own" : "one shared transport per node, its hub on the groups' runner") : "a network per group")}{(meters ? ", a meter per replica" : ", one meter per host")}:");
        Console.WriteLine($"  cpu per node:        {100 * cpu.TotalSeconds / elapsed / Nodes:F2} % of one core (process total {100 * cpu.TotalSeconds / elapsed:F2} %)");
        Console.WriteLine($"  heap per replica:    {(double)(heapIdle - heapBefore) / replicas:F0} B ({(double)(heapIdle - heapBefore) / groupCount:F0} B per group of {Nodes}, {(heapIdle - heapBefore) / (1024 * 1024)} MiB in all)");
        Console.WriteLine($"  allocated while idle: {allocated} B ({allocated / elapsed:F0} B/s), gen0 GCs {gcs}");
        Console.WriteLine($"  runner waits per node: {blocks / elapsed / Nodes:F1}/s, woken by a signal {signals / elapsed / Nodes:F1}/s");
        Console.WriteLine($"  while idle: ticks {Sum(agents, static c => c.Ticks) - ticksBefore}, messages sent {Sum(agents, static c => c.MessagesSent) - sentBefore}, wakes {Sum(agents, static c => c.Wakes) - wakesBefore}");

        sw.Restart();
        foreach (RaftGroupHost host in hosts)
        {
            await host.DisposeAsync();
        }
        Console.WriteLine($"stopped in {sw.Elapsed.TotalSeconds:F1} s");
        return settled ? 0 : 1;
    }

    private static async Task<bool> WaitForIdle(List<RaftNodeAgent<long>> agents, int groups, bool quiescing, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            int leaders = Leaders(agents);
            int quiesced = agents.Count(a => a.IsQuiesced);
            if (leaders == groups && (!quiescing || quiesced == agents.Count))
            {
                return true;
            }
            Console.WriteLine($"  {sw.Elapsed.TotalSeconds:F0} s: {leaders} leaders, {quiesced} quiesced");
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
        return false;
    }

    private static long RunnerBlocks(RaftGroupHost[] hosts) => hosts.Sum(h => h.Runners[0].WaitSource is SignalWaitSource s ? s.Blocks : 0);

    private static long RunnerSignals(RaftGroupHost[] hosts) => hosts.Sum(h => h.Runners[0].WaitSource is SignalWaitSource s ? s.Signals : 0);

    private static int Leaders(List<RaftNodeAgent<long>> agents) => agents.Count(a => a.IsLeader);

    private static long Sum(List<RaftNodeAgent<long>> agents, Func<RaftNodeCounters, long> counter)
    {
        long sum = 0;
        foreach (RaftNodeAgent<long> a in agents)
        {
            sum += counter(a.Counters);
        }
        return sum;
    }

    /// <summary>Every node live unless marked otherwise (the in-process nodes never die here).</summary>
    private sealed class TableLiveness(int nodes) : INodeLiveness
    {
        private readonly bool[] _dead = new bool[nodes + 1];

        public bool IsLive(ulong nodeId) => nodeId < (ulong)_dead.Length && !Volatile.Read(ref _dead[nodeId]);
    }
}
