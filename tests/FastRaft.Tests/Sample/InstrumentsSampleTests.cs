using System.Text.RegularExpressions;
using FastRaft.Sample;
using FastRaft.Sample.Cli;

namespace FastRaft.Tests.Sample;

/// <summary><c>--instruments N</c>: one Raft group per instrument over three nodes sharing one UDP transport each, run in-process.</summary>
[Trait("Category", "Integration")]
public partial class InstrumentsSampleTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Four_instruments_trade_in_four_groups_with_leaders_spread_and_every_groups_replicas_agree()
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        int exit = await SampleApp.RunAsync(["--instruments", "4", "--duration", "2", "--sessions", "8"], output, errors).WaitAsync(RunTimeout);
        string o = output.ToString();

        Assert.True(exit == 0, o + errors);
        // Settled placement: group g is led by voter g mod 3 of [1, 2, 3] (groups 1 and 4 by node 2).
        Assert.Contains("every group has a leader, spread over the nodes: node 1: 1, node 2: 2, node 3: 1", o);
        MatchCollection groups = GroupLine().Matches(o);
        Assert.Equal(["1", "2", "3", "4"], groups.Select(m => m.Groups["id"].Value));
        Assert.All(groups, m => Assert.Equal("3 replicas identical", m.Groups["verdict"].Value));
        Assert.All(groups, m => Assert.True(long.Parse(m.Groups["applied"].Value.Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture) > 10, m.Value));
        Assert.Contains("PASS: every group's 3 replicas hold identical order books (4 groups); every acknowledged order was applied exactly once", o);
    }

    [Theory]
    [InlineData("--instruments", "0")]
    [InlineData("--instruments", "257")]
    [InlineData("--instruments", "4", "--transport", "tcp")]
    [InlineData("--instruments", "4", "--data", "d")]
    [InlineData("--instruments", "4", "--client", "--peers", "1=127.0.0.1:7001")]
    public void Instruments_mode_refuses_what_it_does_not_take(params string[] args)
    {
        Assert.False(SampleOptions.TryParse(args, out _, out string? error));
        Assert.Contains("--instruments", error);
    }

    [Fact]
    public void Instruments_mode_takes_duration_sessions_and_seed()
    {
        Assert.True(SampleOptions.TryParse(["--instruments", "12", "--duration", "3", "--sessions", "24", "--seed", "5"], out SampleOptions o, out string? error), error);
        Assert.Equal((SampleMode.Instruments, 12, 24, 5), (o.Mode, o.Instruments, o.Sessions, o.Seed));
        Assert.Equal(["ACME", "GLOBEX", "INITECH", "INSTR4"], InstrumentsCommand.Instruments(4).Select(i => i.Symbol));
    }

    [GeneratedRegex(@"group (?<id>\d+)\s+\S+\s+leader node \d\s+applied\s+(?<applied>[\d,]+).*state [0-9a-f]+\s+(?<verdict>.+?)\r?$", RegexOptions.Multiline)]
    private static partial Regex GroupLine();
}
