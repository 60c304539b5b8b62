namespace FastRaft.Transport.Tcp.Security;

/// <summary>Why a handshake was refused (each is counted and logged by the transport, and the connection closed).</summary>
internal enum HandshakeFailure
{
    /// <summary>The handshake succeeded.</summary>
    None,

    /// <summary>The bytes are not a FastRaft handshake (wrong magic or size).</summary>
    NotAHandshake,

    /// <summary>A handshake of another protocol version.</summary>
    UnsupportedVersion,

    /// <summary>The dialer expected another node at this address.</summary>
    WrongListener,

    /// <summary>The peer's id is not the one expected (or not a member).</summary>
    UnexpectedPeer,

    /// <summary>The peer's proof is wrong: it does not hold the cluster key (or replays another connection).</summary>
    BadProof,

    /// <summary>The peer opened another security mode's handshake (TLS, the cluster key, or the insecure hello).</summary>
    SecurityMismatch,
}
