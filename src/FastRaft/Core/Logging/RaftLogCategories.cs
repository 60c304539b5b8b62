namespace FastRaft.Core.Logging;

/// <summary>
/// The logger category names FastRaft documents, one per part that logs. Create each part's
/// logger under its name (<c>loggerFactory.CreateLogger(RaftLogCategories.Raft)</c>) so that
/// levels can be set per part in configuration (<c>"Logging:LogLevel:FastRaft.Raft": "Warning"</c>)
/// and <c>"FastRaft"</c> sets them all. The transports name theirs after their packages
/// (<c>UdpTransportOptions.LogCategory</c>, <c>TcpTransportOptions.LogCategory</c>).
/// </summary>
public static class RaftLogCategories
{
    /// <summary>The consensus core (<see cref="RaftConfig.Logger"/>): elections, term changes, refused messages, invariant violations.</summary>
    public const string Raft = "FastRaft.Raft";

    /// <summary>The node host (<c>RaftNodeOptions.Logger</c>): snapshots not taken or refused, handler and shutdown failures, faults.</summary>
    public const string Node = "FastRaft.Node";

    /// <summary>The write-ahead log (<c>WalOptions.Logger</c>): recovery outcomes (a torn tail cut), corruption, I/O failures.</summary>
    public const string Wal = "FastRaft.Wal";
}
