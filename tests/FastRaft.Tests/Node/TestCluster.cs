using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Protocol;
using FastRaft.Storage;
using Microsoft.Extensions.Time.Testing;

namespace FastRaft.Tests.Node;

/// <summary>
/// A few nodes for the core behaviour tests (etcd raft_test style), each run by the agent users
/// run: a <see cref="RaftNodeAgent{TResult}"/> over a MemoryStorage on a
/// <see cref="ManualAgentInvoker"/>, with a clock of its own and a <see cref="CapturingTransport"/>
/// whose sent messages (owned copies) wait in <see cref="InFlight"/> until the test delivers them.
/// <see cref="ProcessReady"/> is one duty cycle of the node (it steps what was delivered to it,
/// ticks when its clock says so, and handles a Ready: persist, send, apply, Advance);
/// <see cref="Tick(ulong)"/> moves the node's clock one tick interval and runs that cycle. Tests call
/// the cores (<see cref="Nodes"/>) directly between cycles, on this thread, as etcd's tests do.
/// </summary>
/// <remarks>
/// The host fills in some of the core's settings left at 0 with its own defaults; the cluster
/// spells out the core's meaning instead, so the tests see the core's behaviour: MaxSizePerMsg 0
/// (one entry per message) becomes 1, MaxCommittedSizePerReady 0 becomes MaxSizePerMsg, and
/// SnapshotStatusTimeoutTicks 0 (wait for the report) becomes int.MaxValue.
/// </remarks>
internal sealed class TestCluster : ITestCluster
{
    public static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(10);

    private readonly Dictionary<ulong, Member> _members = [];

    public TestCluster(int voters, Func<RaftConfig, RaftConfig>? configure = null, ulong snapshotIndex = 1)
    {
        ulong[] ids = new ulong[voters];
        for (int i = 0; i < voters; i++)
        {
            ids[i] = (ulong)i + 1;
        }
        foreach (ulong id in ids)
        {
            Add(id, new ConfState { Voters = ids }, snapshotIndex, configure);
        }
    }

    public Dictionary<ulong, RawNode> Nodes { get; } = [];

    public Dictionary<ulong, RaftNodeAgent<ulong>> Agents { get; } = [];

    public Dictionary<ulong, MemoryStorage> Storages { get; } = [];

    public List<Message> InFlight { get; } = [];

    public Dictionary<ulong, List<Entry>> Applied { get; } = [];

    public bool ProcessReady(ulong id)
    {
        Member m = _members[id];
        long readys = m.Agent.Counters.Readys;
        m.Invoker.Invoke();
        if (m.Agent.Fault is { } fault)
        {
            throw new InvalidOperationException($"node {id} stopped on a fault", fault);
        }
        return m.Agent.Counters.Readys > readys;
    }

    public void Stabilize(Func<Message, bool>? drop = null)
    {
        for (int round = 0; round < 1000; round++)
        {
            bool any = false;
            foreach (ulong id in Nodes.Keys)
            {
                any |= ProcessReady(id);
            }
            if (InFlight.Count > 0)
            {
                any = true;
                Message[] batch = [.. InFlight];
                InFlight.Clear();
                foreach (Message m in batch)
                {
                    if (drop is null || !drop(m))
                    {
                        Send(m);
                    }
                }
            }
            if (!any)
            {
                return;
            }
        }
        throw new InvalidOperationException("cluster did not stabilize within 1000 rounds");
    }

    public void Elect(ulong id)
    {
        Assert.Equal(StepResult.Ok, Nodes[id].Campaign());
        Stabilize();
        Assert.Equal(NodeRole.Leader, Nodes[id].BasicStatus().SoftState.Role);
    }

    public List<Message> Take(Func<Message, bool> match) => Take(InFlight, match);

    /// <summary>Moves node <paramref name="id"/>'s clock one tick interval and runs its duty cycle, which ticks it (and handles the Ready that follows).</summary>
    public void Tick(ulong id)
    {
        Member m = _members[id];
        m.Time.Advance(TickInterval);
        ProcessReady(id);
    }

    /// <summary>
    /// Steps every queued message matching <paramref name="match"/> into its recipient's core at
    /// once, as a test's own Step does (the recipient's next duty cycle handles the Ready);
    /// <see cref="Stabilize"/> delivers through the transports instead.
    /// </summary>
    public int Deliver(Func<Message, bool> match)
    {
        List<Message> taken = Take(match);
        foreach (Message m in taken)
        {
            if (Nodes.TryGetValue(m.To, out RawNode? to))
            {
                to.Step(m);
            }
        }
        return taken.Count;
    }

    public RawNode AddNode(ulong id, ConfState initial, Func<RaftConfig, RaftConfig>? configure = null) => Add(id, initial, 1, configure);

    /// <summary>The storage every harness starts a node from: a snapshot at <paramref name="snapshotIndex"/> (term 1) with <paramref name="confState"/>.</summary>
    public static MemoryStorage NewStorage(ConfState confState, ulong snapshotIndex)
    {
        var storage = new MemoryStorage();
        var snap = new Snapshot(ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(confState, snapshotIndex, 1));
        Assert.Equal(StorageStatus.Ok, storage.ApplySnapshot(snap));
        return storage;
    }

    /// <summary>The behaviour tests' settings before a test's own changes.</summary>
    public static RaftConfig NodeConfig(ulong id, ulong snapshotIndex) => new()
    {
        Id = id,
        ElectionTick = 10,
        HeartbeatTick = 1,
        MaxSizePerMsg = ulong.MaxValue,
        MaxInflightMsgs = 256,
        Applied = snapshotIndex,
        Random = new Random(1234 + (int)id),
    };

    public static List<Message> Take(List<Message> messages, Func<Message, bool> match)
    {
        var taken = messages.FindAll(m => match(m));
        messages.RemoveAll(m => match(m));
        return taken;
    }

    /// <summary>The list kept for node <paramref name="id"/>, created empty on first use.</summary>
    public static List<T> ListFor<T>(Dictionary<ulong, List<T>> lists, ulong id)
    {
        if (!lists.TryGetValue(id, out List<T>? list))
        {
            list = [];
            lists[id] = list;
        }
        return list;
    }

    /// <summary>A copy of <paramref name="m"/> that owns its entries and context (a Ready's views die at the next Ready).</summary>
    public static Message Own(in Message m)
    {
        Message c = m;
        var ents = new Entry[m.Entries.Length];
        for (int i = 0; i < ents.Length; i++)
        {
            Entry e = m.Entries.Span[i];
            ents[i] = e with { Data = e.Data.ToArray() };
        }
        c.Entries = ents;
        c.Context = m.Context.ToArray();
        return c;
    }

    private void Send(in Message m)
    {
        if (_members.TryGetValue(m.To, out Member? to))
        {
            to.Transport.Enqueue(m);
        }
    }

    private RawNode Add(ulong id, ConfState confState, ulong snapshotIndex, Func<RaftConfig, RaftConfig>? configure)
    {
        MemoryStorage storage = NewStorage(confState, snapshotIndex);
        RaftConfig cfg = NodeConfig(id, snapshotIndex);
        // As the core harness does (a test's configuration may read it); the host sets the same storage.
        cfg = cfg with { Storage = storage };
        cfg = SpellOutCoreDefaults(configure?.Invoke(cfg) ?? cfg);
        var time = new FakeTimeProvider(new DateTimeOffset(2003, 4, 5, 6, 7, 8, TimeSpan.Zero));
        var transport = new CapturingTransport(id, InFlight);
        var options = new RaftNodeOptions { Raft = cfg, TickInterval = TickInterval, Time = time };
        var agent = new RaftNodeAgent<ulong>(options, storage, transport, new EntryRecorder(storage, ListFor(Applied, id)));
        var invoker = new ManualAgentInvoker(agent);
        var member = new Member(agent, invoker, transport, time);
        _members[id] = member;
        Agents[id] = agent;
        Nodes[id] = agent.RawNode;
        Storages[id] = storage;
        // The first duty cycle starts the node's clock (ticks count from it) and handles a Ready, if any.
        ProcessReady(id);
        return agent.RawNode;
    }

    private static RaftConfig SpellOutCoreDefaults(RaftConfig cfg)
    {
        ulong maxSizePerMsg = cfg.MaxSizePerMsg == 0 ? 1 : cfg.MaxSizePerMsg;
        return cfg with
        {
            MaxSizePerMsg = maxSizePerMsg,
            MaxCommittedSizePerReady = cfg.MaxCommittedSizePerReady == 0 ? maxSizePerMsg : cfg.MaxCommittedSizePerReady,
            SnapshotStatusTimeoutTicks = cfg.SnapshotStatusTimeoutTicks == 0 ? int.MaxValue : cfg.SnapshotStatusTimeoutTicks,
        };
    }

    private sealed record Member(RaftNodeAgent<ulong> Agent, ManualAgentInvoker Invoker, CapturingTransport Transport, FakeTimeProvider Time);
}
