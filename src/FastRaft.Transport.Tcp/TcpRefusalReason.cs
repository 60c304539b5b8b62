namespace FastRaft.Transport.Tcp;

/// <summary>
/// Why a <see cref="TcpTransport"/> refused or closed a connection (counted per reason in
/// <see cref="TcpTransportCounters.Refused"/>, published on the meter, and logged once per
/// connection through <see cref="TcpTransportOptions.Logger"/>). The reasons of one stage are
/// declared together (the counters' stage totals add ranges of them): add new ones to their stage.
/// </summary>
public enum TcpRefusalReason
{
    /// <summary>Not refused.</summary>
    None = 0,

    // At accept.

    /// <summary>More inbound connections than <see cref="TcpTransportOptions.MaxInboundConnections"/> were open: closed at accept.</summary>
    TooManyConnections,

    // Opening a connection (the key handshake, the TLS handshake, the node id exchange).

    /// <summary>The handshake did not complete within <see cref="TcpTransportOptions.HandshakeTimeout"/>.</summary>
    HandshakeTimeout,

    /// <summary>The bytes are not a FastRaft handshake (wrong magic or size, or the stream ended inside it).</summary>
    NotAHandshake,

    /// <summary>A handshake of another protocol version.</summary>
    UnsupportedVersion,

    /// <summary>The dialer expected another node at this address.</summary>
    WrongListener,

    /// <summary>The peer's node id is not the one expected, or not a member.</summary>
    UnexpectedPeer,

    /// <summary>The peer does not hold the cluster key (its handshake proof is wrong).</summary>
    BadProof,

    /// <summary>
    /// The peer runs another security mode (TLS, the cluster key, or none): each side refuses the
    /// other rather than fall back to a weaker one.
    /// </summary>
    SecurityMismatch,

    /// <summary>The TLS handshake failed for another reason than the peer's certificate (protocol error, not TLS, closed).</summary>
    TlsHandshakeFailed,

    /// <summary>The peer presented no certificate.</summary>
    CertificateMissing,

    /// <summary>The peer's certificate does not chain to a trusted authority of <see cref="TcpTlsOptions.TrustedAuthorities"/> (another CA, self-signed, or a chain that does not build).</summary>
    CertificateUntrusted,

    /// <summary>The peer's certificate (or one in its chain) is expired or not yet valid.</summary>
    CertificateExpired,

    /// <summary>The peer's certificate is not among <see cref="TcpTlsOptions.PinnedThumbprints"/>.</summary>
    CertificateNotPinned,

    /// <summary>The peer's certificate is not issued to <see cref="TcpTlsOptions.ExpectedPeerName"/>.</summary>
    CertificateNameMismatch,

    // After the handshake: the frames.

    /// <summary>The stream is not FastRaft frames (garbage), or a frame too short for its trailer.</summary>
    BadFrame,

    /// <summary>A frame header announced more than <see cref="TcpTransportOptions.MaxMessageBytes"/> (refused before buffering it).</summary>
    Oversize,

    /// <summary>A frame's MAC is wrong (forged, altered, replayed or reordered).</summary>
    BadMac,

    /// <summary>Without authentication: a frame's CRC-32C is wrong (corrupted).</summary>
    BadChecksum,

    /// <summary>A frame that is intact but not a Raft message.</summary>
    BadMessage,

    /// <summary>The stream ended inside a frame.</summary>
    TruncatedFrame,

    /// <summary>A frame had started and did not complete within <see cref="TcpTransportOptions.FrameTimeout"/> (a slow or stalled sender).</summary>
    SlowSender,

    /// <summary>Nothing arrived for <see cref="TcpTransportOptions.IdleTimeout"/> (when enabled).</summary>
    Idle,

    /// <summary>
    /// The peer ended its sending side at a frame boundary (a half-close, or a close: on a
    /// connection this node only reads from the two look alike). Closed cleanly; a peer that
    /// restarts shows here too.
    /// </summary>
    PeerClosed,

    /// <summary>The peer left the node's configuration after it connected (its connection is cut at its next read).</summary>
    NoLongerMember,

    /// <summary>A snapshot transfer on the connection was refused (too large, over budget, malformed, foreign) or stalled.</summary>
    SnapshotRefused,

    /// <summary>An authentic message whose sender field names another node than the connection's (the message is dropped; counted per message).</summary>
    ForgedSender,
}
