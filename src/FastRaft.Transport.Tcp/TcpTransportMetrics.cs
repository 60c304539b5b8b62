using System.Diagnostics.Metrics;

namespace FastRaft.Transport.Tcp;

/// <summary>
/// Publishes a transport's <see cref="TcpTransportCounters"/> through System.Diagnostics.Metrics
/// (meter <see cref="MeterName"/>, tagged with the node id). Every instrument is observable, read
/// from the plain counts only when a listener collects, so the message path pays nothing.
/// </summary>
internal sealed class TcpTransportMetrics : IDisposable
{
    public const string MeterName = "FastRaft.Transport.Tcp";

    private static readonly TcpRefusalReason[] Reasons = Enum.GetValues<TcpRefusalReason>();

    private readonly Meter _meter;

    public TcpTransportMetrics(TcpTransportCounters c, ulong nodeId)
    {
        _meter = new Meter(new MeterOptions(MeterName) { Tags = [new("fastraft.node_id", nodeId)] });
        _meter.CreateObservableCounter("fastraft.tcp.messages.sent", () => c.MessagesSent, "{message}");
        _meter.CreateObservableCounter("fastraft.tcp.messages.received", () => c.MessagesReceived, "{message}");
        _meter.CreateObservableCounter("fastraft.tcp.messages.dropped", () => c.MessagesDropped, "{message}", "not sent: no connection to the peer, or its send buffer full");
        _meter.CreateObservableCounter("fastraft.tcp.connects", () => c.Connects, "{connection}");
        _meter.CreateObservableCounter("fastraft.tcp.snapshots.sent", () => c.SnapshotsSent, "{snapshot}");
        _meter.CreateObservableCounter("fastraft.tcp.snapshots.failed", () => c.SnapshotsFailed, "{snapshot}", "snapshots this node could not send");
        _meter.CreateObservableCounter("fastraft.tcp.snapshots.received", () => c.SnapshotsReceived, "{snapshot}");
        _meter.CreateObservableCounter("fastraft.tcp.snapshots.refused", () => c.SnapshotsRefused, "{snapshot}", "inbound snapshot transfers refused");
        _meter.CreateObservableCounter("fastraft.tcp.dial_failures", () => c.DialFailures, "{connection}", "dials that produced no connection (peer down, or either side refused the handshake)");
        _meter.CreateObservableCounter("fastraft.tcp.refusals", () => Refusals(c), "{connection}",
            "connections refused or closed by this node, by reason (forged_sender counts messages)");
    }

    /// <summary>The tag value of a reason (snake case, as OpenTelemetry names values).</summary>
    public static string TagOf(TcpRefusalReason reason) => reason switch
    {
        TcpRefusalReason.TooManyConnections => "too_many_connections",
        TcpRefusalReason.HandshakeTimeout => "handshake_timeout",
        TcpRefusalReason.NotAHandshake => "not_a_handshake",
        TcpRefusalReason.UnsupportedVersion => "unsupported_version",
        TcpRefusalReason.WrongListener => "wrong_listener",
        TcpRefusalReason.UnexpectedPeer => "unexpected_peer",
        TcpRefusalReason.BadProof => "bad_proof",
        TcpRefusalReason.SecurityMismatch => "security_mismatch",
        TcpRefusalReason.TlsHandshakeFailed => "tls_handshake_failed",
        TcpRefusalReason.CertificateMissing => "certificate_missing",
        TcpRefusalReason.CertificateUntrusted => "certificate_untrusted",
        TcpRefusalReason.CertificateExpired => "certificate_expired",
        TcpRefusalReason.CertificateNotPinned => "certificate_not_pinned",
        TcpRefusalReason.CertificateNameMismatch => "certificate_name_mismatch",
        TcpRefusalReason.BadFrame => "bad_frame",
        TcpRefusalReason.Oversize => "oversize",
        TcpRefusalReason.BadMac => "bad_mac",
        TcpRefusalReason.BadChecksum => "bad_checksum",
        TcpRefusalReason.BadMessage => "bad_message",
        TcpRefusalReason.TruncatedFrame => "truncated_frame",
        TcpRefusalReason.SlowSender => "slow_sender",
        TcpRefusalReason.Idle => "idle",
        TcpRefusalReason.PeerClosed => "peer_closed",
        TcpRefusalReason.NoLongerMember => "no_longer_member",
        TcpRefusalReason.SnapshotRefused => "snapshot_refused",
        TcpRefusalReason.ForgedSender => "forged_sender",
        _ => "none",
    };

    private static Measurement<long>[] Refusals(TcpTransportCounters c)
    {
        var list = new Measurement<long>[Reasons.Length - 1];
        for (int i = 1; i < Reasons.Length; i++)
        {
            list[i - 1] = new Measurement<long>(c.Refused(Reasons[i]), new KeyValuePair<string, object?>("reason", TagOf(Reasons[i])));
        }
        return list;
    }

    public void Dispose() => _meter.Dispose();
}
