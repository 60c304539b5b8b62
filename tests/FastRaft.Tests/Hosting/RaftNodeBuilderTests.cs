using System.Net;
using System.Security.Cryptography;
using FastRaft.Hosting;
using FastRaft.Hosting.Building;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;
using FastRaft.Tests.Sample;
using FastRaft.Tests.Udp;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Udp;

namespace FastRaft.Tests.Hosting;

public sealed class RaftNodeBuilderTests : IDisposable
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "fastraft-builder-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Node_id_zero_is_refused_where_it_is_given()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RaftNodeBuilder<long>.ForNode(0));
    }

    [Fact]
    public void Missing_state_machine_is_a_clear_error()
    {
        var builder = RaftNodeBuilder<long>.ForNode(1).WithInitialMembers(1).UseTransport(_ => new FakeTransport(1));
        var e = Assert.Throws<InvalidOperationException>(builder.Build);
        Assert.Contains("no state machine", e.Message);
        Assert.Contains("WithStateMachine", e.Message);
    }

    [Fact]
    public void Missing_transport_is_a_clear_error()
    {
        var builder = RaftNodeBuilder<long>.ForNode(1).WithStateMachine(new PayloadLog()).WithInitialMembers(1);
        var e = Assert.Throws<InvalidOperationException>(builder.Build);
        Assert.Contains("UseUdpTransport", e.Message);
    }

    [Fact]
    public void Membership_must_be_either_bootstrap_or_join()
    {
        var neither = RaftNodeBuilder<long>.ForNode(1).WithStateMachine(new PayloadLog()).UseTransport(_ => new FakeTransport(1));
        Assert.Contains("JoinExistingCluster", Assert.Throws<InvalidOperationException>(neither.Build).Message);

        var both = RaftNodeBuilder<long>.ForNode(1).WithStateMachine(new PayloadLog()).UseTransport(_ => new FakeTransport(1))
            .WithInitialMembers(1, 2, 3).JoinExistingCluster();
        Assert.Contains("both", Assert.Throws<InvalidOperationException>(both.Build).Message);
    }

    [Fact]
    public void Initial_members_must_include_the_node()
    {
        var fake = new FakeTransport(4);
        var builder = RaftNodeBuilder<long>.ForNode(4).WithStateMachine(new PayloadLog()).UseTransport(_ => fake).WithInitialMembers(1, 2, 3);
        var e = Assert.Throws<ArgumentException>(builder.Build);
        Assert.Contains("do not include this node", e.Message);
        Assert.False(fake.Disposed, "checks come before anything is built");
    }

    [Fact]
    public void Inverted_timeouts_are_refused()
    {
        var builder = RaftNodeBuilder<long>.ForNode(1).WithStateMachine(new PayloadLog()).UseTransport(_ => new FakeTransport(1))
            .WithInitialMembers(1).WithTimeouts(electionTicks: 2, heartbeatTicks: 2);
        Assert.Contains("election timeout", Assert.Throws<ArgumentException>(builder.Build).Message);
    }

    [Fact]
    public async Task The_transport_is_built_for_the_node_id_and_clock_given_once()
    {
        RaftTransportContext? seen = null;
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        RaftNode<long> node = RaftNodeBuilder<long>.ForNode(7)
            .WithStateMachine(new PayloadLog())
            .WithInitialMembers(7, 8, 9)
            .WithTimeProvider(time)
            .UseTransport(context =>
            {
                seen = context;
                return new FakeTransport(context.NodeId);
            })
            .Build();
        await using (node)
        {
            Assert.NotNull(seen);
            Assert.Equal(7UL, seen.NodeId);
            Assert.Same(time, seen.Time);
            Assert.Equal([7UL, 8UL, 9UL], seen.InitialMembers);
            Assert.Equal(7UL, node.Id);
            Assert.Equal(7UL, node.Config.Id);
        }
    }

    [Fact]
    public void A_transport_for_another_node_is_refused_and_disposed()
    {
        var fake = new FakeTransport(2);
        var builder = RaftNodeBuilder<long>.ForNode(1).WithStateMachine(new PayloadLog()).WithInitialMembers(1).UseTransport(_ => fake);
        var e = Assert.Throws<InvalidOperationException>(builder.Build);
        Assert.Contains("transport for node 2", e.Message);
        Assert.True(fake.Disposed);
    }

    [Fact]
    public void Udp_options_for_another_node_are_refused()
    {
        var builder = RaftNodeBuilder<long>.ForNode(1).WithStateMachine(new PayloadLog()).WithInitialMembers(1)
            .UseUdpTransport(_ => new UdpTransportOptions { LocalId = 2, ClusterKey = Key });
        var e = Assert.Throws<ArgumentException>(builder.Build);
        Assert.Contains("for node 2", e.Message);
    }

    [Fact]
    public void An_initial_member_without_an_address_is_named()
    {
        var peers = new Dictionary<ulong, IPEndPoint> { [2] = new(IPAddress.Loopback, 1) };
        var udp = RaftNodeBuilder<long>.ForNode(1).WithStateMachine(new PayloadLog()).WithInitialMembers(1, 2, 3)
            .UseUdpTransport(new IPEndPoint(IPAddress.Loopback, 0), peers, Key);
        Assert.Contains("initial member 3", Assert.Throws<ArgumentException>(udp.Build).Message);

        var tcp = RaftNodeBuilder<long>.ForNode(1).WithStateMachine(new PayloadLog()).WithInitialMembers(1, 2, 3)
            .UseTcpTransport(new IPEndPoint(IPAddress.Loopback, 1), peers, Key);
        Assert.Contains("initial member 3", Assert.Throws<ArgumentException>(tcp.Build).Message);
    }

    [Fact]
    public void An_empty_cluster_key_is_refused()
    {
        var builder = RaftNodeBuilder<long>.ForNode(1);
        Assert.Throws<ArgumentException>(() => builder.UseUdpTransport(new IPEndPoint(IPAddress.Loopback, 0), new Dictionary<ulong, IPEndPoint>(), ReadOnlyMemory<byte>.Empty));
        Assert.Throws<ArgumentException>(() => builder.UseTcpTransport(new IPEndPoint(IPAddress.Loopback, 1), new Dictionary<ulong, IPEndPoint>(), ReadOnlyMemory<byte>.Empty));
    }

    [Fact]
    public async Task Message_size_comes_from_the_transport()
    {
        UdpTransport? transport = null;
        RaftNode<long> node = RaftNodeBuilder<long>.ForNode(1)
            .WithStateMachine(new PayloadLog())
            .WithInitialMembers(1)
            .UseTransport(context => transport = new UdpTransport(new UdpTransportOptions { LocalId = context.NodeId, ClusterKey = Key, MaxDatagramSize = 1_400 }))
            .Build();
        await using (node)
        {
            Assert.NotNull(transport);
            Assert.Equal((ulong)transport.MaxBatchedMessageSize / 2, node.Config.MaxSizePerMsg);
        }
    }

    [Fact]
    public async Task A_builder_builds_once()
    {
        var builder = RaftNodeBuilder<long>.ForNode(1).WithStateMachine(new PayloadLog()).WithInitialMembers(1).UseTransport(c => new FakeTransport(c.NodeId));
        await using RaftNode<long> node = builder.Build();
        Assert.Contains("already", Assert.Throws<InvalidOperationException>(builder.Build).Message);
    }

    [Fact]
    public async Task A_node_on_a_write_ahead_log_closes_it_when_it_stops_and_resumes_from_it()
    {
        var first = new PayloadLog();
        RaftNode<long> node = SingleNodeOnWal(first);
        node.Start();
        Assert.True(Wait.Until(() => node.IsLeader), "a single node elects itself");
        for (int i = 0; i < 5; i++)
        {
            Assert.True((await node.ProposeAsync(Payload(i))).IsOk);
        }
        await node.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));

        var resumed = new PayloadLog();
        RaftNode<long> restarted = SingleNodeOnWal(resumed);
        restarted.Start();
        try
        {
            // The log's lock was released by the first node's stop, and its entries are replayed.
            Assert.True(Wait.Until(() => resumed.Count == 5), $"replayed {resumed.Count} of 5");
        }
        finally
        {
            await restarted.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        Assert.Equal(first.Payloads.Select(p => Convert.ToHexString(p)), resumed.Payloads.Select(p => Convert.ToHexString(p)));
    }

    [Fact]
    public async Task A_node_that_requires_its_log_refuses_an_empty_directory_and_starts_on_one_it_wrote()
    {
        RaftNodeBuilder<long> Builder() => RaftNodeBuilder<long>.ForNode(1).WithStateMachine(new PayloadLog()).WithInitialMembers(1)
            .WithWriteAheadLog(_dir).RequireExistingLog().UseTransport(c => new FakeTransport(c.NodeId));
        string message = Assert.Throws<InvalidOperationException>(() => Builder().Build()).Message;
        Assert.Contains("no write-ahead log", message);
        Assert.Contains(_dir, message);
        Assert.False(WriteAheadLog.Exists(_dir), "the refusal must not create the log it requires");

        // First start without the requirement writes the log; from then on the requirement holds.
        await using (RaftNode<long> first = RaftNodeBuilder<long>.ForNode(1).WithStateMachine(new PayloadLog()).WithInitialMembers(1)
            .WithWriteAheadLog(_dir).UseTransport(c => new FakeTransport(c.NodeId)).Build())
        {
        }
        Assert.True(WriteAheadLog.Exists(_dir));
        await using RaftNode<long> again = Builder().Build();
        Assert.Equal(1UL, again.Id);
    }

    [Fact]
    public void Requiring_an_existing_log_without_a_write_ahead_log_is_a_clear_error()
    {
        var builder = RaftNodeBuilder<long>.ForNode(1).WithStateMachine(new PayloadLog()).WithInitialMembers(1)
            .RequireExistingLog().UseTransport(c => new FakeTransport(c.NodeId));
        Assert.Contains("WithWriteAheadLog", Assert.Throws<InvalidOperationException>(builder.Build).Message);
    }

    [Fact]
    public void A_failed_build_releases_the_write_ahead_log_it_opened()
    {
        var builder = RaftNodeBuilder<long>.ForNode(1).WithStateMachine(new PayloadLog()).WithInitialMembers(1)
            .WithWriteAheadLog(_dir).UseTransport(_ => throw new InvalidOperationException("no transport today"));
        Assert.Equal("no transport today", Assert.Throws<InvalidOperationException>(builder.Build).Message);
        // Open refuses a directory another instance still holds (WalLockedException).
        using WriteAheadLog reopened = WriteAheadLog.Open(_dir);
        Assert.Equal(0UL, reopened.LastIndex());
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task Three_nodes_built_over_udp_on_loopback_commit_and_every_replica_applies()
    {
        int[] ports = FreePorts.ForNodes(3);
        var members = new Dictionary<ulong, IPEndPoint>();
        for (int i = 0; i < 3; i++)
        {
            members[(ulong)i + 1] = new IPEndPoint(IPAddress.Loopback, ports[i]);
        }
        var logs = new List<PayloadLog>();
        var nodes = new List<RaftNode<long>>();
        foreach ((ulong id, IPEndPoint listen) in members)
        {
            var log = new PayloadLog();
            logs.Add(log);
            nodes.Add(RaftNodeBuilder<long>.ForNode(id)
                .WithStateMachine(log)
                .WithInitialMembers([.. members.Keys])
                .UseUdpTransport(listen, members, Key)
                .Build());
        }
        try
        {
            nodes.ForEach(n => n.Start());
            const int writes = 20;
            int committed = 0;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (committed < writes && DateTime.UtcNow < deadline)
            {
                RaftNode<long>? leader = nodes.FirstOrDefault(n => n.IsLeader);
                if (leader is null)
                {
                    await Task.Delay(10);
                    continue;
                }
                if ((await leader.ProposeAsync(Payload(committed))).IsOk)
                {
                    committed++;
                }
            }
            Assert.Equal(writes, committed);
            Assert.True(Wait.Until(() => logs.All(l => l.Count == writes), TimeSpan.FromSeconds(10)),
                $"applied: {string.Join(", ", logs.Select(l => l.Count))}");
        }
        finally
        {
            foreach (RaftNode<long> n in nodes)
            {
                await n.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        string[] expected = [.. Enumerable.Range(0, 20).Select(i => Convert.ToHexString(Payload(i)))];
        foreach (PayloadLog log in logs)
        {
            Assert.Equal(expected, log.Payloads.Select(p => Convert.ToHexString(p)));
        }
    }

    private RaftNode<long> SingleNodeOnWal(PayloadLog log) => RaftNodeBuilder<long>.ForNode(1)
        .WithStateMachine(log)
        .WithInitialMembers(1)
        .WithWriteAheadLog(_dir)
        .UseUdpTransport(new IPEndPoint(IPAddress.Loopback, 0), new Dictionary<ulong, IPEndPoint>(), Key)
        .Build();

    /// <summary>16 bytes, as <see cref="PayloadLog"/> snapshots them.</summary>
    private static byte[] Payload(int i)
    {
        var p = new byte[16];
        BitConverter.TryWriteBytes(p, (long)i + 1000);
        return p;
    }

    /// <summary>A transport that goes nowhere, for builds that never run.</summary>
    private sealed class FakeTransport(ulong localId) : ITransport
    {
        public ulong LocalId => localId;

        public bool Disposed { get; private set; }

        public void Start(ITransportSink sink)
        {
        }

        public void Send(in Message message)
        {
        }

        public void Flush()
        {
        }

        public void Dispose() => Disposed = true;
    }
}
