namespace FastRaft.Transport.Tcp;

/// <summary>What a <see cref="TcpTransport"/> did and refused (read with <see cref="Volatile"/>; updated from several threads).</summary>
public sealed class TcpTransportCounters
{
    private static readonly int ReasonCount = Enum.GetValues<TcpRefusalReason>().Length;

    internal long MessagesSentField;
    internal long MessagesDroppedField;
    internal long MessagesReceivedField;
    internal long ConnectsField;
    internal long DialFailuresField;

    internal long SnapshotsSentField;
    internal long SnapshotsFailedField;
    internal long SnapshotsReceivedField;
    internal long SnapshotsRefusedField;

    private readonly long[] _refusals = new long[ReasonCount];

    /// <summary>Messages handed to a connection.</summary>
    public long MessagesSent => Volatile.Read(ref MessagesSentField);

    /// <summary>Messages not sent: no connection yet, or its send pipe full (the peer is reported unreachable).</summary>
    public long MessagesDropped => Volatile.Read(ref MessagesDroppedField);

    /// <summary>Messages received, authenticated and delivered to the node.</summary>
    public long MessagesReceived => Volatile.Read(ref MessagesReceivedField);

    /// <summary>Outbound connections established (handshake done).</summary>
    public long Connects => Volatile.Read(ref ConnectsField);

    /// <summary>Dials that failed (refused, timed out, handshake refused by either side).</summary>
    public long DialFailures => Volatile.Read(ref DialFailuresField);

    /// <summary>
    /// Connections this node refused or closed for <paramref name="reason"/>: accepted ones, and
    /// dialled ones whose listener this node refused (its proof, id or certificate);
    /// <see cref="TcpRefusalReason.ForgedSender"/> counts messages.
    /// </summary>
    public long Refused(TcpRefusalReason reason) => Volatile.Read(ref _refusals[(int)reason]);

    /// <summary>Connections closed because their handshake (key, TLS or id exchange) was wrong or too slow.</summary>
    public long HandshakesRefused => Sum(TcpRefusalReason.HandshakeTimeout, TcpRefusalReason.CertificateNameMismatch);

    /// <summary>Inbound connections closed at accept because too many were open.</summary>
    public long ConnectionsRefused => Refused(TcpRefusalReason.TooManyConnections);

    /// <summary>Connections closed for a malformed, oversized, unauthentic or cut frame, or an undecodable message.</summary>
    public long BadFrames => Sum(TcpRefusalReason.BadFrame, TcpRefusalReason.TruncatedFrame);

    /// <summary>Authentic messages whose sender field named another node than the connection's (dropped).</summary>
    public long ForgedSenders => Refused(TcpRefusalReason.ForgedSender);

    /// <summary>Snapshots a peer answered as received whole.</summary>
    public long SnapshotsSent => Volatile.Read(ref SnapshotsSentField);

    /// <summary>Snapshots not sent: no connection, refused by the peer, no progress in time, or another transfer to that peer still running.</summary>
    public long SnapshotsFailed => Volatile.Read(ref SnapshotsFailedField);

    /// <summary>Snapshots received whole and handed to the node.</summary>
    public long SnapshotsReceived => Volatile.Read(ref SnapshotsReceivedField);

    /// <summary>Inbound snapshot transfers refused (too large, over budget, malformed, stalled).</summary>
    public long SnapshotsRefused => Volatile.Read(ref SnapshotsRefusedField);

    internal void Count(TcpRefusalReason reason) => Interlocked.Increment(ref _refusals[(int)reason]);

    // The reasons of one stage are declared together in TcpRefusalReason, so a stage is a range.
    private long Sum(TcpRefusalReason first, TcpRefusalReason last)
    {
        long sum = 0;
        for (int i = (int)first; i <= (int)last; i++)
        {
            sum += Volatile.Read(ref _refusals[i]);
        }
        return sum;
    }
}
