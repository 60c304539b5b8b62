using FastRaft.Core.Logging;
using FastRaft.Sample.Cli;

namespace FastRaft.Sample;

/// <summary>The sample's entry point, callable in-process (tests run it with a short duration).</summary>
public static class SampleApp
{
    /// <summary>
    /// Runs the sample with <paramref name="args"/>, writing the console lines to
    /// <paramref name="output"/> and the consensus core's warnings to <paramref name="errors"/>.
    /// Returns the exit code: 0 only when the run checked out (identical replicas, nothing lost);
    /// 2 for a bad command line; 1 otherwise (including sockets or storage that cannot be opened).
    /// </summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter errors, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        TextWriter o = TextWriter.Synchronized(output);
        TextWriter e = TextWriter.Synchronized(errors);
        if (!SampleOptions.TryParse(args, out SampleOptions options, out string? error))
        {
            e.WriteLine($"error: {error}");
            e.WriteLine(SampleOptions.Usage);
            return 2;
        }
        var logger = new RaftLogger(new TextWriterRaftLogSink(e, options.Verbose ? RaftLogLevel.Info : RaftLogLevel.Warning));
        try
        {
            return options.Mode switch
            {
                SampleMode.Help => Help(o),
                SampleMode.Node => await NodeCommand.RunAsync(options, o, logger, cancel).ConfigureAwait(false),
                SampleMode.Client => await ClientCommand.RunAsync(options, o, cancel).ConfigureAwait(false),
                _ => await DemoCommand.RunAsync(options, o, logger, cancel).ConfigureAwait(false),
            };
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException)
        {
            e.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }

    private static int Help(TextWriter o)
    {
        o.WriteLine(SampleOptions.Usage);
        return 0;
    }
}
