namespace FastRaft.Hosting.Agents;

/// <summary>
/// An agent that can tell its runner cheaply that a duty cycle now would find nothing to do (a
/// quiesced Raft group): a runner with thousands of such agents skips them on a wake meant for
/// one, instead of running a duty cycle of each.
/// </summary>
internal interface IDormantAgent
{
    /// <summary>
    /// Whether a duty cycle at <paramref name="now"/> would do nothing: no input, no request, no
    /// deadline reached (runner thread only; allocation-free). False whenever in doubt.
    /// </summary>
    bool IsDormant(long now);

    /// <summary>
    /// Instead of a duty cycle, when the agent's deadline has come and the runner knows nothing
    /// can have arrived for it since <see cref="IsDormant"/> last said true (nobody woke the
    /// runner): only what the deadline is for. Returns the work done, as DoWork does.
    /// </summary>
    int OnQuietDeadline(long now);
}
