using FastRaft.Protocol;

namespace FastRaft.Hosting;

/// <summary>
/// How a node's messages reach its peers. The node thread calls <see cref="Send"/> for each
/// message of a Ready and <see cref="Flush"/> after the last one; the message's views (entries,
/// payloads, context) are only valid during the call, so a transport encodes or copies at once.
/// Inbound messages are handed to the <see cref="ITransportSink"/> given to <see cref="Start"/>.
/// A transport that wraps another must forward <see cref="Poll"/> and <see cref="WaitSource"/>
/// too: their defaults (nothing to poll, no wait source) would leave a polled transport unread.
/// </summary>
public interface ITransport : IDisposable
{
    /// <summary>The node this transport sends for.</summary>
    ulong LocalId { get; }

    /// <summary>Begins receiving; inbound batches go to <paramref name="sink"/>.</summary>
    void Start(ITransportSink sink);

    /// <summary>Queues a message for sending (node thread only).</summary>
    void Send(in Message message);

    /// <summary>Sends everything queued since the last flush (node thread only).</summary>
    void Flush();

    /// <summary>
    /// The largest encoded message the transport carries in one piece (larger ones it splits, or
    /// refuses), or 0 when it has no such limit. A host sizes appends well below it.
    /// </summary>
    int MaxWholeMessageSize => 0;

    /// <summary>
    /// The node's configuration is now <paramref name="confState"/> (node thread only): called at
    /// start with the stored configuration, after each applied configuration change, and after a
    /// snapshot is restored. A transport that addresses peers by id uses it to learn whom to
    /// reach (and whom to forget) before the next message is sent.
    /// </summary>
    void OnConfigurationChanged(ConfState confState)
    {
    }

    /// <summary>
    /// Polled mode (node thread only): receives what has arrived, without blocking, and hands it
    /// to the sink given to <see cref="Start"/> on the calling thread; also runs the transport's
    /// timers (resends, expiries) as of <paramref name="now"/>, a timestamp of the node's
    /// <see cref="TimeProvider"/>. Returns the units of work done (0: nothing arrived or was due).
    /// A transport that delivers from a thread of its own returns 0.
    /// The node steps what the sink is handed during the poll at once, on the calling thread (no
    /// queue), and never calls back into <see cref="Send"/> or <see cref="Flush"/> from inside it.
    /// </summary>
    int Poll(long now) => 0;

    /// <summary>
    /// What the node thread waits on when idle: this transport's input arriving, or a wake. Null
    /// when the transport delivers from a thread of its own (the node then waits on its own signal).
    /// Read once, when the node is built (before <see cref="Start"/>), and used for the node's
    /// whole life: requests from other threads wake the node through it.
    /// </summary>
    Agents.IWaitSource? WaitSource => null;
}

/// <summary>The node side of a transport: where inbound messages and delivery reports go. Thread-safe.</summary>
public interface ITransportSink
{
    /// <summary>
    /// Hands over a batch of inbound messages. The sink owns the batch from here on and releases
    /// it once its messages are stepped. Returns false (and releases the batch) when the node's
    /// inbox is full or the node is stopping: the messages are dropped, as a network would.
    /// </summary>
    bool Deliver(InboundBatch batch);

    /// <summary>A message to <paramref name="nodeId"/> could not be sent.</summary>
    void ReportUnreachable(ulong nodeId);

    /// <summary>A snapshot sent to <paramref name="nodeId"/> arrived whole, or did not.</summary>
    void ReportSnapshot(ulong nodeId, Core.SnapshotStatus status);
}
