namespace FastRaft.LoadTest.Targets.Gateway;

/// <summary>
/// One load connection's counters. Each is written by one side of the connection only (requests
/// and sends under its lock, the rest by its receive loop), and read racily for the reports.
/// </summary>
internal sealed class GatewayLoadCounters
{
    public long Requests;
    public long Sends;
    public long BytesSent;
    public long Receives;
    public long BytesReceived;
    public long Replies;
    public long Accepted;
    public long EngineRejected;
    public long EngineStaleOrDuplicate;
    public long NotLeader;
    public long Unavailable;
    public long Retry;
    public long BadRequest;
    public long Unmatched;
    public long BadReplies;
    public long FailedOnClose;
}
