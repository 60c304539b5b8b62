using FastRaft.Sample.Cli;
using FastRaft.Sample.Logging;
using FastRaft.Sample.Telemetry;
using Microsoft.Extensions.Logging;

namespace FastRaft.Sample;

/// <summary>The sample's entry point, callable in-process (tests run it with a short duration).</summary>
public static class SampleApp
{
    /// <summary>
    /// Runs the sample with <paramref name="args"/>, writing the console lines to
    /// <paramref name="output"/> and errors, warnings and the consensus core's log to
    /// <paramref name="errors"/>. Returns the exit code: 0 only when the run checked out
    /// (identical replicas, nothing lost; the membership change made; the key written); 2 for a
    /// bad command line, key or data directory (one line says what); 1 otherwise (including ports
    /// or storage that cannot be opened, named in one line).
    /// </summary>
    /// <param name="environmentKey">
    /// The cluster key text a node falls back on when given no <c>--key-file</c>; null reads the
    /// <see cref="ClusterKeyFile.EnvironmentVariable"/> environment variable (tests pass their own).
    /// </param>
    public static Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter errors, CancellationToken cancel = default) =>
        RunAsync(args, output, errors, Environment.GetEnvironmentVariable(ClusterKeyFile.EnvironmentVariable), cancel);

    /// <inheritdoc cref="RunAsync(IReadOnlyList{string}, TextWriter, TextWriter, CancellationToken)"/>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter errors, string? environmentKey, CancellationToken cancel = default)
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
        var logger = new TextWriterLogger(e, options.Verbose ? LogLevel.Information : LogLevel.Warning);
        // The console exporter writes to the process's standard output, not to `output`.
        using IDisposable? metrics = options.OtelConsole ? ConsoleMetricsExport.Start() : null;
        try
        {
            return options.Mode switch
            {
                SampleMode.Help => Help(o),
                SampleMode.GenerateKey => GenerateKey(options.GenerateKeyPath!, o, e),
                SampleMode.Instruments => await InstrumentsCommand.RunAsync(options, o, logger, cancel).ConfigureAwait(false),
                SampleMode.Node => await NodeCommand.RunAsync(options, o, e, logger, environmentKey, cancel).ConfigureAwait(false),
                SampleMode.Client => await ClientCommand.RunAsync(options, o, cancel).ConfigureAwait(false),
                SampleMode.Membership => await MembershipCommand.RunAsync(options, o, e, environmentKey, cancel).ConfigureAwait(false),
                _ => await DemoCommand.RunAsync(options, o, logger, cancel).ConfigureAwait(false),
            };
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException)
        {
            e.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }

    private static int GenerateKey(string path, TextWriter o, TextWriter e)
    {
        if (!ClusterKeyFile.TryCreate(path, out string error))
        {
            e.WriteLine($"error: {error}");
            return 2;
        }
        o.WriteLine($"wrote a new cluster key to {path} ({ClusterKeyFile.KeySize} random bytes as hex, readable by you only); "
            + $"start every node with --key-file {path} (copy it to other machines over a secure channel)");
        return 0;
    }

    private static int Help(TextWriter o)
    {
        o.WriteLine(SampleOptions.Usage);
        return 0;
    }
}
