using FastRaft.Hosting;
using FastRaft.Transport.Tcp;

namespace FastRaft.Tests.Tcp;

internal static class PumpedStart
{
    /// <summary>
    /// Starts a transport used without a node. In the polled mode (the default) a background
    /// thread stands in for the node's duty cycle — poll, and wait on the transport's wait source
    /// when nothing came — until the transport is disposed; with receive tasks (or TLS) it only
    /// starts it.
    /// </summary>
    public static void StartPumped(this TcpTransport transport, ITransportSink sink)
    {
        transport.Start(sink);
        if (transport.WaitSource is null)
        {
            return;
        }
        var pump = new Thread(() =>
        {
            while (!transport.IsDisposed)
            {
                try
                {
                    if (transport.Poll(TimeProvider.System.GetTimestamp()) == 0)
                    {
                        transport.WaitSource.Wait(TimeSpan.FromMilliseconds(20));
                    }
                }
                catch (Exception) when (transport.IsDisposed)
                {
                    // The test disposed the transport from its own thread while this pump was
                    // inside Poll (a node never does: it closes its transport on its own thread).
                    return;
                }
            }
        })
        { IsBackground = true, Name = $"test pump (tcp node {transport.LocalId})" };
        pump.Start();
    }
}
