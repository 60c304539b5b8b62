namespace FastRaft.Hosting.Agents;

/// <summary>
/// An agent that can tell its runner cheaply that a duty cycle now would find nothing to do (a
/// Raft group with no input since a duty cycle that did nothing, or a quiesced one): a
/// <see cref="CompositeAgentRunner"/> runs such an agent only when its deadline comes or it has
/// input, so a wake meant for one of many agents costs the others a check, not a duty cycle.
/// </summary>
/// <remarks>
/// The runner relies on this: after a duty cycle that returned 0 (or <see cref="IsDormant"/>
/// said true), nothing but input (which wakes the runner), a request to stop (which does too) or
/// the agent's <see cref="IAgent.Deadline"/> can give the agent work.
/// </remarks>
internal interface IDormantAgent
{
    /// <summary>
    /// Whether a duty cycle at <paramref name="now"/> would do nothing: no input, no request, no
    /// deadline reached (runner thread only; allocation-free). False whenever in doubt.
    /// </summary>
    bool IsDormant(long now);

    /// <summary>
    /// Instead of a duty cycle, when the agent's deadline has come and the runner knows nothing
    /// can have arrived for it since it was last found idle (nobody woke the runner): only what
    /// the deadline is for. Returns the work done, as DoWork does.
    /// </summary>
    int OnQuietDeadline(long now);

    /// <summary>
    /// Whether every input of this agent (and a request to stop) wakes it through its own
    /// <see cref="IAgent.WaitSource"/> after being published with an atomic operation, and nothing
    /// it would find by polling arrives otherwise. Fixed for the agent's life. When true and that
    /// source comes from <see cref="CompositeAgentRunner.CreateMarkedWaitSource"/>, the runner
    /// skips the agent while idle unless its input mark is set.
    /// </summary>
    bool InputWakesOnlyThroughWaitSource { get; }
}
