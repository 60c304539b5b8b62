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
        _meter.CreateObservableCounter("fastraft.tcp.refusals", () => Refusals(c), "{connection}", "connections closed by this node, by reason");
    }

    private static Measurement<long>[] Refusals(TcpTransportCounters c) =>
    [
        new(c.DialFailures, new KeyValuePair<string, object?>("reason", "dial_failed")),
        new(c.HandshakesRefused, new KeyValuePair<string, object?>("reason", "handshake")),
        new(c.ConnectionsRefused, new KeyValuePair<string, object?>("reason", "too_many_connections")),
        new(c.BadFrames, new KeyValuePair<string, object?>("reason", "bad_frame")),
        new(c.ForgedSenders, new KeyValuePair<string, object?>("reason", "forged_sender")),
    ];

    public void Dispose() => _meter.Dispose();
}
