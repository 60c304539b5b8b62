namespace FastRaft.Core;

/// <summary>The outcome of sending a snapshot, reported back with RawNode.ReportSnapshot.</summary>
public enum SnapshotStatus
{
    Finish = 1,
    Failure = 2,
}
