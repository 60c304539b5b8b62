using FastRaft.Sample.Protocol;

namespace FastRaft.Sample.Gateway;

/// <summary>The limits of a node's client gateway (its TCP client port). Every one has a named default.</summary>
public sealed class ClientGatewayOptions
{
    /// <summary>Connections open at once by default; "thousands of clients on one node".</summary>
    public const int DefaultMaxConnections = 10_000;

    /// <summary>Requests one connection may have unanswered by default before the gateway stops reading from it.</summary>
    public const int DefaultMaxInFlightPerConnection = 128;

    /// <summary>How long a frame may take from its first byte to its last by default.</summary>
    public static readonly TimeSpan DefaultFrameReadTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long a connection may leave its replies unread (the socket's send buffer full) by default.</summary>
    public static readonly TimeSpan DefaultReplyWriteTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The defaults.</summary>
    public static ClientGatewayOptions Default { get; } = new();

    /// <summary>Connections open at once; one more is accepted and closed at once (counted, logged).</summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>The largest request payload a frame may announce (a larger header closes the connection before the payload is read).</summary>
    public int MaxFrameBytes { get; init; } = ClientProtocol.MaxMessageSize;

    /// <summary>A frame begun but not completed within this time closes the connection (a slow or stalled sender).</summary>
    public TimeSpan FrameReadTimeout { get; init; } = DefaultFrameReadTimeout;

    /// <summary>A connection whose replies cannot be written for this long (it does not read them) is closed.</summary>
    public TimeSpan ReplyWriteTimeout { get; init; } = DefaultReplyWriteTimeout;

    /// <summary>
    /// Unanswered requests per connection: at this many the gateway stops reading the connection
    /// until replies drain (backpressure through TCP, not a growing queue).
    /// </summary>
    public int MaxInFlightPerConnection { get; init; } = DefaultMaxInFlightPerConnection;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnections, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFrameBytes, 64);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInFlightPerConnection, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(FrameReadTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ReplyWriteTimeout, TimeSpan.Zero);
    }
}
