namespace FastRaft.Transport.Tcp.Security;

/// <summary>
/// The three fixed-size messages that open an authenticated connection without TLS (both ends
/// hold the cluster key K; nonces are fresh random 32 bytes per connection and side):
/// <list type="number">
/// <item>hello, dialer → listener: magic, version, dialer id, listener id it expects, dialer nonce;</item>
/// <item>challenge, listener → dialer: listener id, listener nonce, listener proof =
/// HMAC(K, "listener" ‖ transcript);</item>
/// <item>proof, dialer → listener: dialer proof = HMAC(K, "dialer" ‖ transcript).</item>
/// </list>
/// The transcript is both ids and both nonces, so each proof is bound to this connection: a
/// recorded handshake replayed against a new one fails on the other side's fresh nonce. The
/// session keys (one per direction) are derived from K and the transcript.
/// </summary>
internal static class HandshakeFormat
{
    /// <summary>A TLS record of type handshake starts with this byte (then the version's major, 3).</summary>
    public const byte TlsHandshakeRecord = 0x16;
    public const byte TlsMajorVersion = 0x03;

    public const uint Magic = 0x46525431; // "FRT1"
    public const byte Version = 1;
    public const int NonceSize = 32;
    public const int ProofSize = 32;

    // hello: magic(4) version(1) dialer id(8) listener id(8) dialer nonce(32)
    public const int HelloMagicOffset = 0;
    public const int HelloVersionOffset = 4;
    public const int HelloDialerIdOffset = 5;
    public const int HelloListenerIdOffset = 13;
    public const int HelloNonceOffset = 21;
    public const int HelloSize = HelloNonceOffset + NonceSize;

    // challenge: magic(4) listener id(8) listener nonce(32) listener proof(32)
    public const int ChallengeMagicOffset = 0;
    public const int ChallengeListenerIdOffset = 4;
    public const int ChallengeNonceOffset = 12;
    public const int ChallengeProofOffset = ChallengeNonceOffset + NonceSize;
    public const int ChallengeSize = ChallengeProofOffset + ProofSize;

    // proof: magic(4) dialer proof(32)
    public const int ProofMagicOffset = 0;
    public const int ProofOffset = 4;
    public const int ProofMessageSize = ProofOffset + ProofSize;

    // transcript: dialer id(8) listener id(8) dialer nonce(32) listener nonce(32)
    public const int TranscriptSize = 8 + 8 + NonceSize + NonceSize;

    /// <summary>
    /// What the first four bytes of an accepted connection say, for a listener expecting
    /// <paramref name="expectedMagic"/>: None when they match, SecurityMismatch when they open
    /// another security mode's handshake (the key handshake, the id hello, a TLS ClientHello),
    /// else NotAHandshake.
    /// </summary>
    public static HandshakeFailure ClassifyOpening(ReadOnlySpan<byte> first, uint expectedMagic)
    {
        uint magic = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(first);
        if (magic == expectedMagic)
        {
            return HandshakeFailure.None;
        }
        if (magic is Magic or NodeIdExchange.Magic || (first[0] == TlsHandshakeRecord && first[1] == TlsMajorVersion))
        {
            return HandshakeFailure.SecurityMismatch;
        }
        return HandshakeFailure.NotAHandshake;
    }
}
