namespace FastRaft.Core.Logging;

/// <summary>
/// The logger category names FastRaft documents, one per part that logs. Create each part's
/// logger under its name (<c>loggerFactory.CreateLogger(RaftLogCategories.Raft)</c>) so that
/// levels can be set per part in configuration (<c>"Logging:LogLevel:FastRaft.Raft": "Warning"</c>)
/// and <c>"FastRaft"</c> sets them all.
/// </summary>
public static class RaftLogCategories
{
    /// <summary>The consensus core (<see cref="RaftConfig.Logger"/>): elections, term changes, refused messages, invariant violations.</summary>
    public const string Raft = "FastRaft.Raft";

    /// <summary>The node host (<c>RaftNodeOptions.Logger</c>): snapshots not taken or refused, handler and shutdown failures, faults.</summary>
    public const string Node = "FastRaft.Node";

    /// <summary>The UDP transport (<c>UdpTransportOptions.Logger</c>): unauthenticated mode, refused datagrams.</summary>
    public const string UdpTransport = "FastRaft.Transport.Udp";

    /// <summary>The TCP transport (<c>TcpTransportOptions.Logger</c>): refused and closed connections, redials, floods.</summary>
    public const string TcpTransport = "FastRaft.Transport.Tcp";

    /// <summary>The write-ahead log (<c>WalOptions.Logger</c>): recovery outcomes (a torn tail cut), corruption, I/O failures.</summary>
    public const string Wal = "FastRaft.Wal";
}
