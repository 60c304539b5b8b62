namespace FastRaft.Sample.Protocol;

/// <summary>One request read from the client port (see <see cref="ClientProtocol.TryReadRequest"/>).</summary>
/// <param name="Kind"><see cref="ClientProtocol.KindSubmit"/>, <see cref="ClientProtocol.KindQuery"/> or <see cref="ClientProtocol.KindMembership"/>.</param>
/// <param name="RequestId">The client's id for the request, echoed in the reply.</param>
/// <param name="Command">Submit: the command bytes (a slice of the datagram; not yet decoded).</param>
/// <param name="ClientIds">Query: the client records asked for.</param>
/// <param name="Membership">Membership: the change asked for.</param>
public readonly record struct ClientRequest(
    byte Kind, ulong RequestId, ReadOnlyMemory<byte> Command, ulong[] ClientIds, MembershipRequest Membership);
