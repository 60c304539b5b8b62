using Microsoft.Extensions.Logging;

namespace FastRaft.Core.Logging;

/// <summary>
/// The <see cref="EventId"/>s of FastRaft's log lines that a program may want to filter or alert
/// on. Ordinary lines (the core's etcd-style narration) carry event id 0. Ids are stable across
/// versions; ranges: 1–99 core and node, 100–199 write-ahead log, 200–299 UDP, 300–399 TCP.
/// </summary>
public static class RaftLogEvents
{
    /// <summary>A Raft invariant was violated; a <see cref="RaftPanicException"/> follows (level Critical).</summary>
    public static readonly EventId Panic = new(1, nameof(Panic));

    /// <summary>The core refused a message from a peer as invalid (level Warning).</summary>
    public static readonly EventId MessageRefused = new(2, nameof(MessageRefused));

    /// <summary>The node stopped on a fault (level Error).</summary>
    public static readonly EventId NodeFaulted = new(10, nameof(NodeFaulted));

    /// <summary>A snapshot could not be taken, or one received was refused by the state machine (level Warning).</summary>
    public static readonly EventId SnapshotProblem = new(11, nameof(SnapshotProblem));

    /// <summary>The write-ahead log was opened: created or recovered cleanly (Information) or with a torn tail cut off (Warning).</summary>
    public static readonly EventId WalRecovered = new(100, nameof(WalRecovered));

    /// <summary>The write-ahead log is damaged before its tail and refuses to open (level Error; the exception follows).</summary>
    public static readonly EventId WalCorruption = new(101, nameof(WalCorruption));

    /// <summary>A write-ahead log I/O failure: the log refuses further calls until reopened (level Error).</summary>
    public static readonly EventId WalFailed = new(102, nameof(WalFailed));

    /// <summary>The UDP transport runs without authentication (level Warning, at start).</summary>
    public static readonly EventId UdpInsecure = new(200, nameof(UdpInsecure));

    /// <summary>The TCP transport runs without authentication (level Warning, at start).</summary>
    public static readonly EventId TcpInsecure = new(300, nameof(TcpInsecure));

    /// <summary>The TCP transport refused or closed a connection (Warning; Information for an ordinary close or idle timeout).</summary>
    public static readonly EventId TcpConnectionRefused = new(301, nameof(TcpConnectionRefused));

    /// <summary>A TCP peer sent messages under another node's id (level Warning, once per connection).</summary>
    public static readonly EventId TcpForgedSender = new(302, nameof(TcpForgedSender));

    /// <summary>The TCP transport refused connections beyond its limit (level Warning, at most once a second).</summary>
    public static readonly EventId TcpConnectionFlood = new(303, nameof(TcpConnectionFlood));
}
