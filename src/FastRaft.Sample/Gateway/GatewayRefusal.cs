namespace FastRaft.Sample.Gateway;

/// <summary>Why the gateway closed a client's connection.</summary>
public enum GatewayRefusal
{
    /// <summary>Not closed for a fault (the client closed its side, or the node stops).</summary>
    None,

    /// <summary>Bytes that do not start a frame (garbage, or another protocol).</summary>
    Garbage,

    /// <summary>A frame header announcing more than the maximum frame size.</summary>
    OversizeFrame,

    /// <summary>A frame begun and not completed within the read timeout (a slow or stalled sender).</summary>
    SlowFrame,

    /// <summary>The stream ended inside a frame.</summary>
    CutFrame,

    /// <summary>A whole frame whose payload is not a request of the protocol.</summary>
    MalformedRequest,

    /// <summary>Replies left unread past the write timeout (the client does not read).</summary>
    SlowReader,

    /// <summary>More connections than the limit: accepted and closed at once.</summary>
    TooManyConnections,

    /// <summary>The connection failed (reset, broken pipe).</summary>
    ConnectionError,
}
