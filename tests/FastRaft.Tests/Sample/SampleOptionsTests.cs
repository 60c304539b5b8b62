using System.Net;
using FastRaft.Sample.Cli;

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
        Assert.True(SampleOptions.TryParse(["--node", "2", "--peers", "1=127.0.0.1:7001, 2=127.0.0.1:7002/9000,3=[::1]:7003", "--data", "d"], out SampleOptions o, out string? error), error);
        Assert.Equal(SampleMode.Node, o.Mode);
        Assert.Equal(2ul, o.NodeId);
        Assert.Equal("d", o.DataDirectory);
        Assert.Equal(new PeerAddress(1, IPEndPoint.Parse("127.0.0.1:7001"), IPEndPoint.Parse("127.0.0.1:8001")), o.Peers[0]);
        Assert.Equal(9000, o.Peers[1].Client.Port);
        Assert.Equal(IPAddress.IPv6Loopback, o.Peers[2].Raft.Address);
        Assert.Equal(8003, o.Peers[2].Client.Port);
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
    public void Bad_command_lines_are_refused_with_a_reason(params string[] args)
    {
        Assert.False(SampleOptions.TryParse(args, out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
