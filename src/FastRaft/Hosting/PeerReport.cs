using FastRaft.Core;

namespace FastRaft.Hosting;

/// <summary>A transport's delivery report, queued for the node thread: a peer was unreachable, or how a snapshot to it went.</summary>
internal readonly record struct PeerReport(ulong NodeId, bool IsSnapshot, SnapshotStatus SnapshotStatus);
