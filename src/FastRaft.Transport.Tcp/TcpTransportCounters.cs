namespace FastRaft.Transport.Tcp;

/// <summary>What a <see cref="TcpTransport"/> did and refused (read with <see cref="Volatile"/>; updated from several threads).</summary>
public sealed class TcpTransportCounters
{
    internal long MessagesSentField;
    internal long MessagesDroppedField;
    internal long MessagesReceivedField;
    internal long ConnectsField;
    internal long DialFailuresField;
    internal long HandshakesRefusedField;
    internal long ConnectionsRefusedField;
    internal long BadFramesField;
    internal long ForgedSendersField;
    internal long SnapshotsSentField;
    internal long SnapshotsFailedField;
    internal long SnapshotsReceivedField;
    internal long SnapshotsRefusedField;

    /// <summary>Messages handed to a connection.</summary>
    public long MessagesSent => Volatile.Read(ref MessagesSentField);

    /// <summary>Messages not sent: no connection yet, or its send pipe full (the peer is reported unreachable).</summary>
    public long MessagesDropped => Volatile.Read(ref MessagesDroppedField);

    /// <summary>Messages received, authenticated and delivered to the node.</summary>
    public long MessagesReceived => Volatile.Read(ref MessagesReceivedField);

    /// <summary>Outbound connections established (handshake done).</summary>
    public long Connects => Volatile.Read(ref ConnectsField);

    /// <summary>Dials that failed (refused, timed out, handshake refused).</summary>
    public long DialFailures => Volatile.Read(ref DialFailuresField);

    /// <summary>Inbound connections closed because their handshake was wrong or too slow.</summary>
    public long HandshakesRefused => Volatile.Read(ref HandshakesRefusedField);

    /// <summary>Inbound connections closed at accept because too many were open.</summary>
    public long ConnectionsRefused => Volatile.Read(ref ConnectionsRefusedField);

    /// <summary>Connections closed for a malformed frame, a wrong MAC or an undecodable message.</summary>
    public long BadFrames => Volatile.Read(ref BadFramesField);

    /// <summary>Authentic messages whose sender field named another node than the connection's (dropped).</summary>
    public long ForgedSenders => Volatile.Read(ref ForgedSendersField);

    /// <summary>Snapshots a peer answered as received whole.</summary>
    public long SnapshotsSent => Volatile.Read(ref SnapshotsSentField);

    /// <summary>Snapshots not sent: no connection, refused by the peer, no progress in time, or another transfer to that peer still running.</summary>
    public long SnapshotsFailed => Volatile.Read(ref SnapshotsFailedField);

    /// <summary>Snapshots received whole and handed to the node.</summary>
    public long SnapshotsReceived => Volatile.Read(ref SnapshotsReceivedField);

    /// <summary>Inbound snapshot transfers refused (too large, over budget, malformed, stalled).</summary>
    public long SnapshotsRefused => Volatile.Read(ref SnapshotsRefusedField);
}
