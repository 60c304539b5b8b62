using FastRaft.Sample.Gateway;

namespace FastRaft.Sample.Cluster;

/// <summary>What a node's client gateway has received and refused; readable from any thread.</summary>
public sealed class ClientPortCounters
{
    internal long RequestsCount;
    internal long MalformedCount;
    internal long ParseFaultCount;
    internal long UnauthorizedCount;
    internal long HandlerFaultCount;
    internal long ConnectionsAcceptedCount;
    internal long ConnectionsOpenCount;
    internal long ClientClosesCount;
    internal long GarbageCount;
    internal long OversizeFrameCount;
    internal long SlowFrameCount;
    internal long CutFrameCount;
    internal long SlowReaderCount;
    internal long TooManyConnectionsCount;
    internal long ConnectionErrorCount;

    /// <summary>Frames that parsed as requests.</summary>
    public long Requests => Interlocked.Read(ref RequestsCount);

    /// <summary>Whole frames whose payload was not a request of the protocol (the connection is closed).</summary>
    public long Malformed => Interlocked.Read(ref MalformedCount);

    /// <summary>
    /// Frames whose parsing threw (dropped, connection closed). The parsers are total, so this
    /// stays 0 unless one has a bug; counting it keeps such a bug from taking the node down.
    /// </summary>
    public long ParseFaults => Interlocked.Read(ref ParseFaultCount);

    /// <summary>Membership requests not signed with the cluster key, or signed too long ago (answered Unauthorized, not applied).</summary>
    public long Unauthorized => Interlocked.Read(ref UnauthorizedCount);

    /// <summary>Requests whose handling threw (a bug; the port keeps serving).</summary>
    public long HandlerFaults => Interlocked.Read(ref HandlerFaultCount);

    /// <summary>Connections accepted (those refused over the limit included).</summary>
    public long ConnectionsAccepted => Interlocked.Read(ref ConnectionsAcceptedCount);

    /// <summary>Connections open now.</summary>
    public long ConnectionsOpen => Interlocked.Read(ref ConnectionsOpenCount);

    /// <summary>Connections the client closed (or half-closed) cleanly: answered what was outstanding, then closed. Not a refusal.</summary>
    public long ClientCloses => Interlocked.Read(ref ClientClosesCount);

    /// <summary>Connections closed for bytes that do not start a frame.</summary>
    public long Garbage => Interlocked.Read(ref GarbageCount);

    /// <summary>Connections closed for a frame header announcing more than the maximum frame size.</summary>
    public long OversizeFrames => Interlocked.Read(ref OversizeFrameCount);

    /// <summary>Connections closed for a frame not completed within the read timeout.</summary>
    public long SlowFrames => Interlocked.Read(ref SlowFrameCount);

    /// <summary>Connections whose stream ended inside a frame.</summary>
    public long CutFrames => Interlocked.Read(ref CutFrameCount);

    /// <summary>Connections closed for leaving their replies unread past the write timeout.</summary>
    public long SlowReaders => Interlocked.Read(ref SlowReaderCount);

    /// <summary>Connections beyond the limit, closed at once.</summary>
    public long TooManyConnections => Interlocked.Read(ref TooManyConnectionsCount);

    /// <summary>Connections that failed (reset, broken pipe).</summary>
    public long ConnectionErrors => Interlocked.Read(ref ConnectionErrorCount);

    /// <summary>Connections closed by a refusal (every reason but a client's own close and a plain connection error).</summary>
    public long RefusedConnections => Garbage + OversizeFrames + SlowFrames + CutFrames + SlowReaders + TooManyConnections + Malformed + ParseFaults;

    /// <summary>Everything dropped or refused without effect: refused connections and unauthorized or faulting requests.</summary>
    public long Dropped => RefusedConnections + Unauthorized + HandlerFaults;

    /// <summary>How many connections were closed for <paramref name="reason"/>.</summary>
    public long Refused(GatewayRefusal reason) => reason switch
    {
        GatewayRefusal.Garbage => Garbage,
        GatewayRefusal.OversizeFrame => OversizeFrames,
        GatewayRefusal.SlowFrame => SlowFrames,
        GatewayRefusal.CutFrame => CutFrames,
        GatewayRefusal.MalformedRequest => Malformed + ParseFaults,
        GatewayRefusal.SlowReader => SlowReaders,
        GatewayRefusal.TooManyConnections => TooManyConnections,
        GatewayRefusal.ConnectionError => ConnectionErrors,
        _ => 0,
    };

    internal void Count(GatewayRefusal reason)
    {
        switch (reason)
        {
            case GatewayRefusal.Garbage:
                Interlocked.Increment(ref GarbageCount);
                break;
            case GatewayRefusal.OversizeFrame:
                Interlocked.Increment(ref OversizeFrameCount);
                break;
            case GatewayRefusal.SlowFrame:
                Interlocked.Increment(ref SlowFrameCount);
                break;
            case GatewayRefusal.CutFrame:
                Interlocked.Increment(ref CutFrameCount);
                break;
            case GatewayRefusal.SlowReader:
                Interlocked.Increment(ref SlowReaderCount);
                break;
            case GatewayRefusal.TooManyConnections:
                Interlocked.Increment(ref TooManyConnectionsCount);
                break;
            case GatewayRefusal.ConnectionError:
                Interlocked.Increment(ref ConnectionErrorCount);
                break;
            default:
                // MalformedRequest is counted where the payload is parsed (Malformed or ParseFaults).
                break;
        }
    }
}
