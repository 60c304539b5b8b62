namespace FastRaft.Hosting;

/// <summary>
/// A transport that never has anything for <see cref="ITransport.Poll"/> to find: everything it
/// receives is pushed into the node's sink from another thread (which wakes the node through
/// the transport's <see cref="ITransport.WaitSource"/>). A group's view of its host's shared
/// transport is one; the runner then need not ask an idle node whether input came (see
/// <see cref="Agents.IDormantAgent.InputWakesOnlyThroughWaitSource"/>).
/// </summary>
internal interface IPushOnlyTransport
{
    /// <summary>Whether this transport (and any it wraps) only pushes.</summary>
    bool OnlyPushes { get; }
}
