using System.Net;
using System.Security.Cryptography;
using FastRaft.Extensions.Hosting;
using FastRaft.Hosting;
using FastRaft.Tests.Sample;
using FastRaft.Tests.Udp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FastRaft.Tests.Hosting;

public sealed class FastRaftHostingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastraft-hosting-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Settings_bind_from_configuration()
    {
        string keyFile = Path.Combine(_dir, "cluster.key");
        File.WriteAllText(keyFile, Convert.ToHexString(RandomNumberGenerator.GetBytes(32)));
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FastRaft:NodeId"] = "2",
            ["FastRaft:Listen"] = "127.0.0.1:7002",
            ["FastRaft:Peers:1"] = "127.0.0.1:7001",
            ["FastRaft:Peers:3"] = "localhost:7003",
            ["FastRaft:Transport"] = "tcp",
            ["FastRaft:ClusterKeyFile"] = keyFile,
            ["FastRaft:DataDirectory"] = "/var/lib/raft",
            ["FastRaft:InitialMembers:0"] = "1",
            ["FastRaft:InitialMembers:1"] = "2",
            ["FastRaft:InitialMembers:2"] = "3",
            ["FastRaft:TickIntervalMs"] = "5",
            ["FastRaft:ElectionTicks"] = "30",
            ["FastRaft:HeartbeatTicks"] = "3",
        }).Build();
        var services = new ServiceCollection();
        services.AddFastRaftNode<long>(configuration.GetSection("FastRaft"), _ => new PayloadLog());
        using ServiceProvider provider = services.BuildServiceProvider();

        FastRaftNodeSettings s = provider.GetRequiredService<IOptions<FastRaftNodeSettings>>().Value;
        Assert.Equal(2UL, s.NodeId);
        Assert.Equal("127.0.0.1:7002", s.Listen);
        Assert.Equal(new Dictionary<ulong, string> { [1] = "127.0.0.1:7001", [3] = "localhost:7003" }, s.Peers);
        Assert.Equal(FastRaftTransportKind.Tcp, s.Transport);
        Assert.Equal(keyFile, s.ClusterKeyFile);
        Assert.Equal("/var/lib/raft", s.DataDirectory);
        Assert.Equal([1UL, 2UL, 3UL], s.InitialMembers);
        Assert.False(s.Join);
        Assert.Equal(5, s.TickIntervalMs);
        Assert.Equal(30, s.ElectionTicks);
        Assert.Equal(3, s.HeartbeatTicks);
    }

    [Fact]
    public async Task Bad_settings_fail_the_start_naming_each_configuration_key()
    {
        using IHost host = HostWith(new Dictionary<string, string?>
        {
            ["FastRaft:NodeId"] = "1",
            ["FastRaft:Peers:1"] = "127.0.0.1:7001",
            ["FastRaft:Peers:2"] = "not-an-endpoint",
            ["FastRaft:ClusterKeyHex"] = "abcd",
            ["FastRaft:InitialMembers:0"] = "1",
            ["FastRaft:InitialMembers:1"] = "2",
            ["FastRaft:InitialMembers:2"] = "3",
        });
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(e.Failures, f => f.StartsWith("FastRaft:Peers:2:", StringComparison.Ordinal) && f.Contains("not host:port", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("FastRaft:ClusterKeyHex:", StringComparison.Ordinal) && f.Contains("at least 16", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("FastRaft:Peers:", StringComparison.Ordinal) && f.Contains("initial member 3", StringComparison.Ordinal));
        Assert.DoesNotContain(e.Failures, f => f.Contains("abcd", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Missing_node_id_and_key_are_named()
    {
        using IHost host = HostWith(new Dictionary<string, string?> { ["FastRaft:Listen"] = "127.0.0.1:0", ["FastRaft:Join"] = "true" });
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(e.Failures, f => f.StartsWith("FastRaft:NodeId:", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("FastRaft:ClusterKeyFile or FastRaft:ClusterKeyHex:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Requiring_existing_data_needs_a_data_directory_and_refuses_an_empty_one()
    {
        var settings = new Dictionary<string, string?>
        {
            ["FastRaft:NodeId"] = "1",
            ["FastRaft:Listen"] = "127.0.0.1:0",
            ["FastRaft:ClusterKeyHex"] = new string('a', 64),
            ["FastRaft:InitialMembers:0"] = "1",
            ["FastRaft:RequireExistingData"] = "true",
        };
        using (IHost inMemory = HostWith(settings))
        {
            var e = await Assert.ThrowsAsync<OptionsValidationException>(() => inMemory.StartAsync());
            Assert.Contains(e.Failures, f => f.StartsWith("FastRaft:RequireExistingData:", StringComparison.Ordinal) && f.Contains("FastRaft:DataDirectory", StringComparison.Ordinal));
        }
        settings["FastRaft:DataDirectory"] = Path.Combine(_dir, "lost");
        using IHost lost = HostWith(settings);
        var refused = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => lost.StartAsync());
        Assert.Contains("no write-ahead log", refused.Message);
    }

    [Fact]
    public async Task An_unknown_transport_is_named()
    {
        using IHost host = HostWith(new Dictionary<string, string?> { ["FastRaft:NodeId"] = "1", ["FastRaft:Transport"] = "carrier-pigeon" });
        var e = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("FastRaft:Transport", e.Message);
    }

    [Fact]
    public void Settings_given_in_code_are_named_by_their_property()
    {
        var services = new ServiceCollection();
        services.AddFastRaftNode<long>(s => s.Listen = "127.0.0.1:0", _ => new PayloadLog());
        using ServiceProvider provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<RaftNode<long>>());
        Assert.Contains(e.Failures, f => f.StartsWith("FastRaftNodeSettings:NodeId:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_second_node_in_one_service_provider_is_refused()
    {
        var services = new ServiceCollection();
        services.AddFastRaftNode<long>(_ => { }, _ => new PayloadLog());
        Assert.Throws<InvalidOperationException>(() => services.AddFastRaftNode<long>(_ => { }, _ => new PayloadLog()));
        // Another result type would still share the one FastRaftNodeSettings.
        Assert.Throws<InvalidOperationException>(() => services.AddFastRaftNode<ulong>(_ => { }, _ => new RecordingStateMachine()));
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task Three_hosts_over_loopback_udp_start_elect_commit_and_stop()
    {
        string keyFile = Path.Combine(_dir, "cluster.key");
        File.WriteAllText(keyFile, Convert.ToHexString(RandomNumberGenerator.GetBytes(32)) + "\n");
        int[] ports = FreePorts.ForNodes(3);
        var hosts = new List<IHost>();
        var logs = new List<PayloadLog>();
        for (int i = 0; i < 3; i++)
        {
            var log = new PayloadLog();
            logs.Add(log);
            var settings = new Dictionary<string, string?>
            {
                ["FastRaft:NodeId"] = $"{i + 1}",
                ["FastRaft:ClusterKeyFile"] = keyFile,
                ["FastRaft:DataDirectory"] = Path.Combine(_dir, $"n{i + 1}"),
            };
            for (int p = 0; p < 3; p++)
            {
                settings[$"FastRaft:Peers:{p + 1}"] = $"127.0.0.1:{ports[p]}";
                settings[$"FastRaft:InitialMembers:{p}"] = $"{p + 1}";
            }
            hosts.Add(HostWith(settings, log));
        }
        try
        {
            foreach (IHost host in hosts)
            {
                await host.StartAsync();
            }
            List<RaftNode<long>> nodes = [.. hosts.Select(h => h.Services.GetRequiredService<RaftNode<long>>())];
            Assert.Equal([1UL, 2UL, 3UL], nodes.Select(n => n.Id));
            const int writes = 10;
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
                var payload = new byte[16];
                BitConverter.TryWriteBytes(payload, committed);
                if ((await leader.ProposeAsync(payload)).IsOk)
                {
                    committed++;
                }
            }
            Assert.Equal(writes, committed);
            Assert.True(Wait.Until(() => logs.All(l => l.Count == writes)), $"applied: {string.Join(", ", logs.Select(l => l.Count))}");

            foreach (IHost host in hosts)
            {
                await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            Assert.All(nodes, n => Assert.True(n.Completion.IsCompletedSuccessfully));
        }
        finally
        {
            foreach (IHost host in hosts)
            {
                host.Dispose();
            }
        }
    }

    private static IHost HostWith(Dictionary<string, string?> settings, PayloadLog? log = null)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddFastRaftNode<long>(builder.Configuration.GetSection("FastRaft"), _ => log ?? new PayloadLog());
        return builder.Build();
    }
}
