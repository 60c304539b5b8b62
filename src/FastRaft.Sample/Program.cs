using System.Runtime.InteropServices;

namespace FastRaft.Sample;

public static class Program
{
    public static int Main(string[] args)
    {
        using var stop = new CancellationTokenSource();
        // Ctrl+C and SIGTERM stop gracefully: the run ends early but still drains and reports.
        System.Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        return SampleApp.RunAsync(args, System.Console.Out, System.Console.Error, stop.Token).GetAwaiter().GetResult();
    }
}
