using FastRaft.Sample.Cluster;
using FastRaft.Sample.Protocol;

namespace FastRaft.Sample.Gateway;

/// <summary>What a <see cref="GatewayConnection"/> needs from the gateway that accepted it.</summary>
internal interface IGatewayHost
{
    ClientGatewayOptions Options { get; }

    ClientPortCounters Counters { get; }

    /// <summary>
    /// Handles one parsed request (its bytes are valid only during the call). Returns true when a
    /// reply was or will be queued on <paramref name="connection"/> (exactly one), false when
    /// handling failed before any reply was arranged (counted as a handler fault).
    /// </summary>
    bool TryHandle(in ClientRequest request, ReadOnlyMemory<byte> payload, GatewayConnection connection);

    /// <summary>A reply slot from the pool (or a new one).</summary>
    GatewayReply RentReply();

    /// <summary>Gives a written (or discarded) reply slot back.</summary>
    void ReturnReply(GatewayReply reply);

    /// <summary>The connection is being closed for <paramref name="reason"/> (never None): count it and log it. Called at most once per connection.</summary>
    void OnRefused(GatewayConnection connection, GatewayRefusal reason);

    /// <summary>The connection is closed, its loops done (<paramref name="reason"/> None: the client closed it, or the gateway stops). Called once.</summary>
    void OnClosed(GatewayConnection connection, GatewayRefusal reason);
}
