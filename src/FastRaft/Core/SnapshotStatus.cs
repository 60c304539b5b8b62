namespace FastRaft.Core;

/// <summary>The outcome of sending a snapshot, reported back with RawNode.ReportSnapshot.</summary>
public enum SnapshotStatus
{
    SnapshotFinish = 1,
    SnapshotFailure = 2,
}
