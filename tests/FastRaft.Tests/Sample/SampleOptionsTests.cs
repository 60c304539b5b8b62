using System.Net;
using FastRaft.Sample.Cli;
using FastRaft.Sample.Cluster;

namespace FastRaft.Tests.Sample;

public class SampleOptionsTests
{
    [Fact]
    public void No_arguments_is_the_twenty_second_demo()
    {
        Assert.True(SampleOptions.TryParse([], out SampleOptions o, out _));
        Assert.Equal((SampleMode.Demo, (TimeSpan?)null, 32, true), (o.Mode, o.Duration, o.Sessions, o.Failover));
    }

    [Fact]
    public void A_node_gets_its_peers_with_client_ports_defaulting_to_the_raft_port_plus_a_thousand()
    {
        Assert.True(SampleOptions.TryParse(["--node", "2", "--peers", "1=127.0.0.1:7001, 2=127.0.0.1:7002/9000,3=127.0.0.2:7003", "--data", "d"], out SampleOptions o, out string? error), error);
        Assert.Equal(SampleMode.Node, o.Mode);
        Assert.Equal(2ul, o.NodeId);
        Assert.Equal("d", o.DataDirectory);
        Assert.Equal(NodeStart.Existing, o.Start);
        Assert.Equal(new PeerAddress(1, IPEndPoint.Parse("127.0.0.1:7001"), IPEndPoint.Parse("127.0.0.1:8001")), o.Peers[0]);
        Assert.Equal(9000, o.Peers[1].Client.Port);
        Assert.Equal(8003, o.Peers[2].Client.Port);

        Assert.True(SampleOptions.TryParse(["--node", "3", "--peers", "1=[::1]:7001,2=[::1]:7002,3=[::1]:7003"], out o, out error), error);
        Assert.Equal(IPAddress.IPv6Loopback, o.Peers[2].Raft.Address);
        Assert.Equal(8003, o.Peers[2].Client.Port);
    }

    [Fact]
    public void A_node_takes_a_key_file_and_how_to_start_on_empty_storage()
    {
        Assert.True(SampleOptions.TryParse(["--node", "1", "--peers", "1=127.0.0.1:7001", "--key-file", "k", "--init"], out SampleOptions o, out string? error), error);
        Assert.Equal((SampleMode.Node, "k", false, NodeStart.Init), (o.Mode, o.KeyFile, o.InsecureNoAuthentication, o.Start));
        Assert.True(SampleOptions.TryParse(["--node", "1", "--peers", "1=127.0.0.1:7001", "--insecure-no-auth", "--join", "--data", "d"], out o, out error), error);
        Assert.Equal((null, true, NodeStart.Join), (o.KeyFile, o.InsecureNoAuthentication, o.Start));
    }

    [Fact]
    public void Membership_changes_and_key_generation_are_modes_of_their_own()
    {
        Assert.True(SampleOptions.TryParse(["--client", "--peers", "1=127.0.0.1:7001,2=127.0.0.1:7002", "--add-node", "4=127.0.0.1:7004/9004", "--key-file", "k"], out SampleOptions o, out string? error), error);
        Assert.Equal(SampleMode.Membership, o.Mode);
        Assert.Equal(new PeerAddress(4, IPEndPoint.Parse("127.0.0.1:7004"), IPEndPoint.Parse("127.0.0.1:9004")), o.AddNode);
        Assert.True(SampleOptions.TryParse(["--client", "--peers", "1=127.0.0.1:7001", "--remove-node", "3", "--insecure-no-auth"], out o, out error), error);
        Assert.Equal((SampleMode.Membership, 3UL), (o.Mode, o.RemoveNode));
        Assert.True(SampleOptions.TryParse(["--gen-key", "cluster.key"], out o, out error), error);
        Assert.Equal((SampleMode.GenerateKey, "cluster.key"), (o.Mode, o.GenerateKeyPath));
    }

    /// <summary>Conflicting addresses are refused in one line that names the address.</summary>
    [Theory]
    [InlineData("1=127.0.0.1:7001,2=127.0.0.1:7001", "127.0.0.1:7001", "same Raft address")]
    [InlineData("1=127.0.0.1:7001/9000,2=127.0.0.1:7002/9000", "127.0.0.1:9000", "same client address")]
    [InlineData("1=127.0.0.1:7001,2=127.0.0.1:8001", "127.0.0.1:8001", "node 1's client address and node 2's Raft address")]
    [InlineData("1=127.0.0.1:7001/7001", "127.0.0.1:7001", "both its Raft and its client address")]
    [InlineData("1=127.0.0.1:7001,2=[::1]:7002", "::1", "IPv4 or IPv6")]
    [InlineData("1=0.0.0.0:7001", "0.0.0.0", "not an address others can send to")]
    [InlineData("1=127.0.0.1:7001,1=127.0.0.1:7002", "node 1", "listed twice")]
    public void Peers_that_cannot_run_side_by_side_are_refused_naming_the_conflict(string peers, string named, string reason)
    {
        foreach (string[] args in (string[][])[["--node", "1", "--peers", peers], ["--client", "--peers", peers]])
        {
            Assert.False(SampleOptions.TryParse(args, out _, out string? error));
            Assert.Contains(named, error);
            Assert.Contains(reason, error);
            Assert.DoesNotContain("\n", error);
        }
    }

    [Theory]
    [InlineData("4=127.0.0.1:7001", "127.0.0.1:7001")]
    [InlineData("4=127.0.0.1:7004/8001", "127.0.0.1:8001")]
    [InlineData("1=127.0.0.1:7004", "node 1 is in --peers")]
    public void A_node_to_add_must_be_new_and_on_addresses_of_its_own(string added, string named)
    {
        Assert.False(SampleOptions.TryParse(["--client", "--peers", "1=127.0.0.1:7001,2=127.0.0.1:7002", "--add-node", added, "--key-file", "k"], out _, out string? error));
        Assert.Contains(named, error);
    }

    [Fact]
    public void The_raft_transport_is_udp_unless_tcp_is_asked_for_by_a_node_or_the_demo()
    {
        Assert.True(SampleOptions.TryParse([], out SampleOptions o, out string? error), error);
        Assert.Equal(RaftTransportKind.Udp, o.Transport);
        Assert.True(SampleOptions.TryParse(["--transport", "tcp", "--duration", "3"], out o, out error), error);
        Assert.Equal((SampleMode.Demo, RaftTransportKind.Tcp), (o.Mode, o.Transport));
        Assert.True(SampleOptions.TryParse(["--node", "1", "--peers", "1=127.0.0.1:7001", "--key-file", "k", "--init", "--transport", "tcp"], out o, out error), error);
        Assert.Equal((SampleMode.Node, RaftTransportKind.Tcp), (o.Mode, o.Transport));
        Assert.True(SampleOptions.TryParse(["--node", "1", "--peers", "1=127.0.0.1:7001", "--key-file", "k", "--transport", "udp", "--join"], out o, out error), error);
        Assert.Equal(RaftTransportKind.Udp, o.Transport);
    }

    [Theory]
    [InlineData("--transport needs udp or tcp", "--transport", "quic")]
    [InlineData("--transport needs udp or tcp", "--transport")]
    [InlineData("--transport is for --node and the demo", "--client", "--peers", "1=127.0.0.1:7001", "--transport", "tcp")]
    [InlineData("--transport is for --node and the demo", "--client", "--peers", "1=127.0.0.1:7001", "--remove-node", "1", "--key-file", "k", "--transport", "udp")]
    public void A_transport_option_that_cannot_apply_is_refused_naming_why(string expected, params string[] args)
    {
        Assert.False(SampleOptions.TryParse(args, out _, out string? error));
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_takes_a_duration_and_sessions()
    {
        Assert.True(SampleOptions.TryParse(["--client", "--peers", "1=localhost:7001", "--duration", "2.5", "--sessions", "3"], out SampleOptions o, out _));
        Assert.Equal((SampleMode.Client, TimeSpan.FromSeconds(2.5), 3), (o.Mode, o.Duration, o.Sessions));
    }

    [Theory]
    [InlineData("--node", "1")]
    [InlineData("--client")]
    [InlineData("--node", "0", "--peers", "1=127.0.0.1:7001")]
    [InlineData("--node", "1", "--client", "--peers", "1=127.0.0.1:7001")]
    [InlineData("--peers", "1=127.0.0.1:7001")]
    [InlineData("--client", "--peers", "1=127.0.0.1:7001,1=127.0.0.1:7002")]
    [InlineData("--client", "--peers", "x=127.0.0.1:7001")]
    [InlineData("--client", "--peers", "1=127.0.0.1")]
    [InlineData("--client", "--peers", "1=127.0.0.1:65000")]
    [InlineData("--client", "--peers", "1=127.0.0.1:7001/0")]
    [InlineData("--client", "--peers", "1=127.0.0.1:7001", "--data", "d")]
    [InlineData("--sessions", "0")]
    [InlineData("--duration", "abc")]
    [InlineData("--duration")]
    [InlineData("--whatever")]
    [InlineData("--node", "1", "--peers", "1=127.0.0.1:7001", "--init", "--join")]
    [InlineData("--client", "--peers", "1=127.0.0.1:7001", "--init")]
    [InlineData("--init")]
    [InlineData("--node", "1", "--peers", "1=127.0.0.1:7001", "--key-file", "k", "--insecure-no-auth")]
    [InlineData("--node", "1", "--peers", "1=127.0.0.1:7001", "--key-file")]
    [InlineData("--client", "--peers", "1=127.0.0.1:7001", "--key-file", "k")]
    [InlineData("--insecure-no-auth")]
    [InlineData("--gen-key")]
    [InlineData("--gen-key", "k", "--node", "1", "--peers", "1=127.0.0.1:7001")]
    [InlineData("--peers", "1=127.0.0.1:7001", "--add-node", "2=127.0.0.1:7002")]
    [InlineData("--client", "--peers", "1=127.0.0.1:7001", "--add-node", "2=127.0.0.1:7002", "--remove-node", "1")]
    [InlineData("--client", "--peers", "1=127.0.0.1:7001", "--add-node", "2")]
    [InlineData("--client", "--peers", "1=127.0.0.1:7001", "--remove-node", "0")]
    public void Bad_command_lines_are_refused_with_a_reason(params string[] args)
    {
        Assert.False(SampleOptions.TryParse(args, out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
