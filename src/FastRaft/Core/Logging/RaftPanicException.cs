namespace FastRaft.Core.Logging;

/// <summary>
/// An invariant of the Raft state machine was violated (etcd's logger.Panic). This signals a bug
/// or corrupted storage, never ordinary flow; the node must not keep running on this state.
/// </summary>
public sealed class RaftPanicException(string message) : Exception(message);
