namespace FastRaft.Sample.Cluster;

/// <summary>What a node's client port has received and refused; readable from any thread.</summary>
public sealed class ClientPortCounters
{
    internal long RequestsCount;
    internal long MalformedCount;
    internal long ParseFaultCount;
    internal long UnauthorizedCount;
    internal long HandlerFaultCount;

    /// <summary>Datagrams that parsed as requests.</summary>
    public long Requests => Interlocked.Read(ref RequestsCount);

    /// <summary>Datagrams that were not requests of the protocol (dropped unanswered).</summary>
    public long Malformed => Interlocked.Read(ref MalformedCount);

    /// <summary>
    /// Datagrams whose parsing threw (dropped unanswered). The parsers are total, so this stays 0
    /// unless one has a bug; counting it keeps such a bug from taking the node down.
    /// </summary>
    public long ParseFaults => Interlocked.Read(ref ParseFaultCount);

    /// <summary>Membership requests not signed with the cluster key, or signed too long ago (answered Unauthorized, not applied).</summary>
    public long Unauthorized => Interlocked.Read(ref UnauthorizedCount);

    /// <summary>Requests whose handling threw (a bug; the port keeps serving).</summary>
    public long HandlerFaults => Interlocked.Read(ref HandlerFaultCount);

    /// <summary>Every datagram dropped or refused without effect.</summary>
    public long Dropped => Malformed + ParseFaults + Unauthorized + HandlerFaults;
}
