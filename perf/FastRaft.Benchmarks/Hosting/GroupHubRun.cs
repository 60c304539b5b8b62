using System.Diagnostics;
using System.Globalization;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.Groups;
using FastRaft.Hosting.InMemory;
using FastRaft.Protocol;

namespace FastRaft.Benchmarks.Hosting;

/// <summary>
/// The group plumbing alone, on one thread: <c>group-hub [--groups N] [--entries E] [--payload P]
/// [--rounds R]</c>. Two <see cref="GroupTransportHub"/>s over one <see cref="InMemoryNetwork"/>;
/// in a round every group's view on node 1 sends one append of E entries of P bytes to node 2 and
/// flushes, node 1's hub sends them all, node 2's hub receives and routes them to its groups
/// (sinks that release at once). Prints the CPU time per message (what a loaded machine distorts
/// least) and the bytes allocated; the cores do no Raft work, so this is the hub's share alone.
/// </summary>
internal static class GroupHubRun
{
    private const long WarmupRounds = 20_000;

    public static int Run(string[] args)
    {
        int groups = 48;
        int entries = 4;
        int payload = 64;
        long rounds = 200_000;
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            int value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--groups": groups = value; break;
                case "--entries": entries = value; break;
                case "--payload": payload = value; break;
                case "--rounds": rounds = value; break;
                default:
                    Console.Error.WriteLine("usage: group-hub [--groups N] [--entries E] [--payload P] [--rounds R]");
                    return 2;
            }
        }
        var network = new InMemoryNetwork();
        var options = new RaftGroupHostOptions();
        var sender = new GroupTransportHub(network.CreateTransport(1), null, options, new SignalWaitSource());
        var receiver = new GroupTransportHub(network.CreateTransport(2), null, options, new SignalWaitSource());
        sender.Open();
        receiver.Open();
        var views = new GroupTransportView[groups];
        var sink = new CountingSink();
        var members = new ConfState { Voters = [1, 2] };
        for (int g = 0; g < groups; g++)
        {
            views[g] = sender.CreateView((ulong)g + 1, new SignalWaitSource());
            views[g].Start(sink);
            views[g].OnConfigurationChanged(members);
            GroupTransportView peer = receiver.CreateView((ulong)g + 1, new SignalWaitSource());
            peer.Start(sink);
            peer.OnConfigurationChanged(members);
        }
        var batch = new Entry[entries];
        for (int e = 0; e < entries; e++)
        {
            batch[e] = new Entry(2, (ulong)e + 11, EntryType.Normal, new byte[payload]);
        }
        var append = new Message(MessageType.Append, 1, 2, 2) { LogTerm = 2, Index = 10, Commit = 9, Entries = batch };

        void Round()
        {
            foreach (GroupTransportView view in views)
            {
                view.Send(in append);
                view.Flush();
            }
            long now = options.Time.GetTimestamp();
            sender.DoWork(now);
            receiver.DoWork(now);
        }

        for (long r = 0; r < WarmupRounds; r++)
        {
            Round();
        }
        long received = sink.Count;
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (long r = 0; r < rounds; r++)
        {
            Round();
        }
        sw.Stop();
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        long messages = rounds * groups;
        received = sink.Count - received;
        Console.WriteLine(
            $"group-hub groups={groups} entries={entries} payload={payload}: {sw.Elapsed.TotalNanoseconds / messages:F1} ns/message wall, " +
            $"{cpu.TotalNanoseconds / messages:F1} ns/message CPU, {allocated} B allocated, {received}/{messages} messages received");
        return received == messages ? 0 : 1;
    }

    private sealed class CountingSink : ITransportSink
    {
        public long Count;

        public bool Deliver(InboundBatch batch)
        {
            Count += batch.Count;
            batch.Release();
            return true;
        }

        public void ReportUnreachable(ulong nodeId)
        {
        }

        public void ReportSnapshot(ulong nodeId, SnapshotStatus status)
        {
        }
    }
}
