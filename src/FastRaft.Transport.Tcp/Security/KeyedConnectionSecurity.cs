namespace FastRaft.Transport.Tcp.Security;

/// <summary>The cluster key secures connections: the key handshake, then a MAC per frame with the session keys.</summary>
internal sealed class KeyedConnectionSecurity(byte[] clusterKey, TcpTransportOptions options, IReadOnlySet<ulong> members) : ConnectionSecurity
{
    public override bool IsAuthenticated => true;

    public override async ValueTask<Refusal> DialAsync(SecuredConnection connection, ulong listenerId, CancellationToken cancellationToken)
    {
        connection.AttachPipes(connection.OpenNetworkStream(options.SendBufferBytes));
        var handshake = new DialerHandshake(clusterKey, options.LocalId, listenerId);
        (HandshakeFailure failure, SessionKeys? keys) = await HandshakeExchange.DialAsync(connection.Input!, connection.Output!, handshake, cancellationToken).ConfigureAwait(false);
        if (failure != HandshakeFailure.None)
        {
            return Refusal.From(failure);
        }
        connection.PeerId = listenerId;
        connection.Channel = new AuthenticatedFrameChannel(connection.Input!, connection.Output!,
            new FrameAuthenticator(keys!.DialerToListener), new FrameAuthenticator(keys.ListenerToDialer), options.MaxMessageBytes);
        return Refusal.None;
    }

    public override async ValueTask<Refusal> AcceptAsync(SecuredConnection connection, CancellationToken cancellationToken)
    {
        connection.EnsurePipes(options.SendBufferBytes);
        var handshake = new ListenerHandshake(clusterKey, options.LocalId, members);
        (HandshakeFailure failure, SessionKeys? keys) = await HandshakeExchange.AcceptAsync(connection.Input!, connection.Output!, handshake, cancellationToken).ConfigureAwait(false);
        if (failure != HandshakeFailure.None)
        {
            return Refusal.From(failure);
        }
        connection.PeerId = handshake.DialerId;
        connection.Channel = new AuthenticatedFrameChannel(connection.Input!, connection.Output!,
            new FrameAuthenticator(keys!.ListenerToDialer), new FrameAuthenticator(keys.DialerToListener), options.MaxMessageBytes);
        return Refusal.None;
    }
}
