namespace FastRaft.Core;

/// <summary>The outcome of sending a snapshot, reported back with RawNode.ReportSnapshot.</summary>
public enum SnapshotStatus
{
    /// <summary>The follower received the snapshot; the leader resumes replicating after it.</summary>
    Finish = 1,
    /// <summary>Sending failed; the leader probes the follower again and may resend.</summary>
    Failure = 2,
}
