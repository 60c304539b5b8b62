using Microsoft.Extensions.Logging;

namespace FastRaft.Hosting.Building;

/// <summary>
/// What a <see cref="RaftNodeBuilder{TResult}"/> hands its transport factory, so the transport is
/// built for the same node, on the same clock, as the node itself.
/// </summary>
public sealed class RaftTransportContext
{
    private readonly ILoggerFactory? _loggers;

    internal RaftTransportContext(ulong nodeId, TimeProvider time, IReadOnlyList<ulong>? initialMembers, ILoggerFactory? loggers)
    {
        _loggers = loggers;
        NodeId = nodeId;
        Time = time;
        InitialMembers = initialMembers;
    }

    /// <summary>The node's id: the transport's <see cref="ITransport.LocalId"/> must be this.</summary>
    public ulong NodeId { get; }

    /// <summary>
    /// The node's clock (<see cref="RaftNodeOptions.Time"/>). A polled transport measures its
    /// timeouts in this clock's timestamps, so it must use it too.
    /// </summary>
    public TimeProvider Time { get; }

    /// <summary>
    /// The voters the node bootstraps a new cluster with, or null for a node joining a running
    /// cluster. A transport that addresses peers by id can check it knows where each one is.
    /// </summary>
    public IReadOnlyList<ulong>? InitialMembers { get; }

    /// <summary>
    /// A logger under <paramref name="category"/> from the factory given to
    /// <see cref="RaftNodeBuilder{TResult}.WithLogging"/>, or null when none was given.
    /// </summary>
    /// <param name="category">The category, e.g. the transport's documented one.</param>
    public ILogger? CreateLogger(string category) => _loggers?.CreateLogger(category);

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming the first initial member (other than this
    /// node) that <paramref name="hasAddress"/> cannot place, so a cluster whose members cannot
    /// reach each other fails at build time instead of never electing a leader.
    /// </summary>
    /// <param name="hasAddress">Whether the transport knows where a member is.</param>
    /// <param name="what">The transport's name for its address table, for the message (e.g. "peers").</param>
    public void RequireAddressesOfInitialMembers(Func<ulong, bool> hasAddress, string what)
    {
        ArgumentNullException.ThrowIfNull(hasAddress);
        if (InitialMembers is null)
        {
            return;
        }
        foreach (ulong member in InitialMembers)
        {
            if (member != NodeId && !hasAddress(member))
            {
                throw new ArgumentException(
                    $"initial member {member} of node {NodeId} has no address in the transport's {what}: every other initial member must be listed there");
            }
        }
    }
}
