using System.Buffers.Binary;
using System.Security.Cryptography;

namespace FastRaft.Transport.Tcp.Security;

/// <summary>The connecting side of the key handshake (<see cref="HandshakeFormat"/>). One per connection attempt.</summary>
internal sealed class DialerHandshake
{
    private readonly byte[] _key;
    private readonly ulong _localId;
    private readonly ulong _listenerId;
    private readonly byte[] _nonce = new byte[HandshakeFormat.NonceSize];

    /// <summary>A handshake for one connection attempt, with a fresh random nonce.</summary>
    /// <param name="clusterKey">The secret key shared by the cluster's members.</param>
    /// <param name="localId">This node's id (the dialer).</param>
    /// <param name="listenerId">The id of the node being dialled; the listener refuses a hello meant for another node.</param>
    public DialerHandshake(byte[] clusterKey, ulong localId, ulong listenerId)
    {
        ArgumentNullException.ThrowIfNull(clusterKey);
        _key = clusterKey;
        _localId = localId;
        _listenerId = listenerId;
        RandomNumberGenerator.Fill(_nonce);
    }

    /// <summary>Writes the hello (<see cref="HandshakeFormat.HelloSize"/> bytes).</summary>
    public void WriteHello(Span<byte> hello)
    {
        BinaryPrimitives.WriteUInt32BigEndian(hello[HandshakeFormat.HelloMagicOffset..], HandshakeFormat.Magic);
        hello[HandshakeFormat.HelloVersionOffset] = HandshakeFormat.Version;
        BinaryPrimitives.WriteUInt64BigEndian(hello[HandshakeFormat.HelloDialerIdOffset..], _localId);
        BinaryPrimitives.WriteUInt64BigEndian(hello[HandshakeFormat.HelloListenerIdOffset..], _listenerId);
        _nonce.CopyTo(hello[HandshakeFormat.HelloNonceOffset..]);
    }

    /// <summary>
    /// Checks the listener's challenge; on success writes the dialer's proof
    /// (<see cref="HandshakeFormat.ProofMessageSize"/> bytes) and returns the session keys.
    /// </summary>
    public HandshakeFailure TryAcceptChallenge(ReadOnlySpan<byte> challenge, Span<byte> proofMessage, out SessionKeys? keys)
    {
        keys = null;
        if (challenge.Length != HandshakeFormat.ChallengeSize
            || BinaryPrimitives.ReadUInt32BigEndian(challenge[HandshakeFormat.ChallengeMagicOffset..]) != HandshakeFormat.Magic)
        {
            return HandshakeFailure.NotAHandshake;
        }
        if (BinaryPrimitives.ReadUInt64BigEndian(challenge[HandshakeFormat.ChallengeListenerIdOffset..]) != _listenerId)
        {
            return HandshakeFailure.UnexpectedPeer;
        }
        Span<byte> transcript = stackalloc byte[HandshakeFormat.TranscriptSize];
        HandshakeCrypto.WriteTranscript(transcript, _localId, _listenerId, _nonce,
            challenge.Slice(HandshakeFormat.ChallengeNonceOffset, HandshakeFormat.NonceSize));
        Span<byte> expected = stackalloc byte[HandshakeFormat.ProofSize];
        HandshakeCrypto.ListenerProof(_key, transcript, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, challenge.Slice(HandshakeFormat.ChallengeProofOffset, HandshakeFormat.ProofSize)))
        {
            return HandshakeFailure.BadProof;
        }
        BinaryPrimitives.WriteUInt32BigEndian(proofMessage[HandshakeFormat.ProofMagicOffset..], HandshakeFormat.Magic);
        HandshakeCrypto.DialerProof(_key, transcript, proofMessage.Slice(HandshakeFormat.ProofOffset, HandshakeFormat.ProofSize));
        keys = HandshakeCrypto.DeriveSessionKeys(_key, transcript);
        return HandshakeFailure.None;
    }
}
