using System.Diagnostics.Metrics;

namespace FastRaft.Transport.Udp;

/// <summary>
/// Publishes a transport's <see cref="UdpTransportCounters"/> through System.Diagnostics.Metrics
/// (meter <see cref="MeterName"/>, tagged with the node and cluster ids). Counters are observable
/// (read from the plain counts when a listener collects), so the datagram path pays nothing for
/// them; only the messages-per-datagram histogram records per datagram.
/// </summary>
internal sealed class UdpTransportMetrics : IDisposable
{
    public const string MeterName = "FastRaft.Transport.Udp";

    private static readonly DropReason[] Reasons = Enum.GetValues<DropReason>();

    private readonly Meter _meter;
    private readonly Histogram<int> _messagesPerDatagram;

    public UdpTransportMetrics(UdpTransportCounters c, ulong nodeId, ulong clusterId)
    {
        _meter = new Meter(new MeterOptions(MeterName)
        {
            Tags = [new("fastraft.node_id", nodeId), new("fastraft.cluster_id", clusterId)],
        });
        _meter.CreateObservableCounter("fastraft.udp.datagrams.sent", () => c.DatagramsSent, "{datagram}");
        _meter.CreateObservableCounter("fastraft.udp.datagrams.received", () => c.DatagramsReceived, "{datagram}");
        _meter.CreateObservableCounter("fastraft.udp.bytes.sent", () => c.BytesSent, "By");
        _meter.CreateObservableCounter("fastraft.udp.bytes.received", () => c.BytesReceived, "By");
        _meter.CreateObservableCounter("fastraft.udp.messages.sent", () => c.MessagesSent, "{message}");
        _meter.CreateObservableCounter("fastraft.udp.messages.received", () => c.MessagesReceived, "{message}");
        _meter.CreateObservableCounter("fastraft.udp.chunks.sent", () => c.ChunksSent, "{chunk}");
        _meter.CreateObservableCounter("fastraft.udp.chunks.received", () => c.ChunksReceived, "{chunk}");
        _meter.CreateObservableCounter("fastraft.udp.chunks.resent", () => c.ChunksResent, "{chunk}");
        _meter.CreateObservableCounter("fastraft.udp.transfers", () => Outcomes(c.TransfersStarted, c.TransfersCompleted, c.TransfersFailed), "{transfer}");
        _meter.CreateObservableCounter("fastraft.udp.reassemblies", () => Outcomes(c.ReassembliesStarted, c.ReassembliesCompleted, c.ReassembliesTimedOut + c.ReassembliesPastDeadline), "{reassembly}");
        _meter.CreateObservableCounter("fastraft.udp.send_errors", () => c.SendErrors, "{error}");
        _meter.CreateObservableCounter("fastraft.udp.wakes", () => Wakes(c), "{datagram}");
        _meter.CreateObservableCounter("fastraft.udp.drops", () => Drops(c), "{drop}");
        _messagesPerDatagram = _meter.CreateHistogram<int>("fastraft.udp.messages_per_datagram", "{message}", "Raft messages batched into one sent datagram");
    }

    /// <summary>Records the batch size of one sent datagram of messages.</summary>
    public void RecordBatch(int messages) => _messagesPerDatagram.Record(messages);

    private static Measurement<long>[] Outcomes(long started, long completed, long failed) =>
    [
        new(started, new KeyValuePair<string, object?>("outcome", "started")),
        new(completed, new KeyValuePair<string, object?>("outcome", "completed")),
        new(failed, new KeyValuePair<string, object?>("outcome", "failed")),
    ];

    private static Measurement<long>[] Wakes(UdpTransportCounters c) =>
    [
        new(c.WakeDatagramsSent, new KeyValuePair<string, object?>("direction", "sent")),
        new(c.WakeDatagramsReceived, new KeyValuePair<string, object?>("direction", "received")),
    ];

    private static Measurement<long>[] Drops(UdpTransportCounters c)
    {
        var list = new Measurement<long>[Reasons.Length - 1];
        for (int i = 1; i < Reasons.Length; i++)
        {
            list[i - 1] = new Measurement<long>(c.Dropped(Reasons[i]), new KeyValuePair<string, object?>("reason", Reasons[i].ToString()));
        }
        return list;
    }

    public void Dispose() => _meter.Dispose();
}
