using FastRaft.Hosting;
using Microsoft.Extensions.Hosting;

namespace FastRaft.Extensions.Hosting;

/// <summary>Runs the registered <see cref="RaftNode{TResult}"/> for the host's lifetime.</summary>
internal sealed class FastRaftNodeService<TResult>(RaftNode<TResult> node) : IHostedService where TResult : struct
{
    /// <summary>Starts the node (its transport binds here: a port in use fails the host's start).</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        node.Start();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops the node gracefully: outstanding requests fail as ShuttingDown, the transport and a
    /// storage the node opened are closed. A node that died on its own rethrows its fault here.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken) => node.StopAsync().WaitAsync(cancellationToken);
}
