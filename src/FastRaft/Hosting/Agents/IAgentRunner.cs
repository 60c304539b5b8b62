namespace FastRaft.Hosting.Agents;

/// <summary>
/// Something that runs agents on threads of its own (<see cref="CompositeAgentRunner"/>: many
/// agents on one thread). A <see cref="RaftNode{TResult}"/> given one through
/// <see cref="RaftNodeOptions.Runner"/> hands it its agent instead of starting a thread.
/// </summary>
public interface IAgentRunner
{
    /// <summary>
    /// Takes <paramref name="agent"/> (any thread): on a runner thread it calls
    /// <see cref="IAgent.OnStart"/>, then <see cref="IAgent.DoWork"/> until
    /// <see cref="IAgent.IsDone"/>, then <see cref="IAgent.OnClose"/>.
    /// </summary>
    void Add(IAgent agent);

    /// <summary>
    /// The signal the runner can block on: an agent whose input has no wait source of its own
    /// (a threaded transport) should use it as its <see cref="IAgent.WaitSource"/>, so that the
    /// runner wakes for it at once.
    /// </summary>
    IWaitSource WaitSource { get; }
}
