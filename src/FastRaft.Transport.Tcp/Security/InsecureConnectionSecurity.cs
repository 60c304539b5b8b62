namespace FastRaft.Transport.Tcp.Security;

/// <summary>
/// No authentication (<see cref="TcpTransportOptions.InsecureNoAuthentication"/>): the plain id
/// hello (<see cref="NodeIdExchange"/>), then frames with a CRC-32C each.
/// </summary>
internal sealed class InsecureConnectionSecurity(TcpTransportOptions options, IReadOnlySet<ulong> members) : ConnectionSecurity
{
    public override bool IsAuthenticated => false;

    public override async ValueTask<Refusal> DialAsync(SecuredConnection connection, ulong listenerId, CancellationToken cancellationToken)
    {
        connection.AttachPipes(connection.OpenNetworkStream(options.SendBufferBytes));
        HandshakeFailure failure = await NodeIdExchange.DialAsync(connection.Input!, connection.Output!, options.LocalId, listenerId, cancellationToken).ConfigureAwait(false);
        if (failure != HandshakeFailure.None)
        {
            return Refusal.From(failure);
        }
        connection.PeerId = listenerId;
        connection.Channel = AuthenticatedFrameChannel.Insecure(connection.Input!, connection.Output!, options.MaxMessageBytes);
        return Refusal.None;
    }

    public override async ValueTask<Refusal> AcceptAsync(SecuredConnection connection, CancellationToken cancellationToken)
    {
        connection.EnsurePipes(options.SendBufferBytes);
        (HandshakeFailure failure, ulong dialer) = await NodeIdExchange.AcceptAsync(connection.Input!, connection.Output!, options.LocalId, members, cancellationToken).ConfigureAwait(false);
        if (failure != HandshakeFailure.None)
        {
            return Refusal.From(failure);
        }
        connection.PeerId = dialer;
        connection.Channel = AuthenticatedFrameChannel.Insecure(connection.Input!, connection.Output!, options.MaxMessageBytes);
        return Refusal.None;
    }
}
