using System.Buffers.Binary;
using System.Security.Cryptography;

namespace FastRaft.Transport.Tcp.Security;

/// <summary>The accepting side of the key handshake (<see cref="HandshakeFormat"/>). One per accepted connection.</summary>
internal sealed class ListenerHandshake
{
    private readonly byte[] _key;
    private readonly ulong _localId;
    private readonly IReadOnlySet<ulong> _members;
    private readonly byte[] _nonce = new byte[HandshakeFormat.NonceSize];
    private readonly byte[] _transcript = new byte[HandshakeFormat.TranscriptSize];
    private bool _challenged;

    /// <param name="clusterKey">The secret key shared by the cluster's members.</param>
    /// <param name="localId">This node's id (the listener); a hello addressed to another node is refused.</param>
    /// <param name="members">The node ids allowed to connect (the listener's own id excluded).</param>
    public ListenerHandshake(byte[] clusterKey, ulong localId, IReadOnlySet<ulong> members)
    {
        ArgumentNullException.ThrowIfNull(clusterKey);
        ArgumentNullException.ThrowIfNull(members);
        _key = clusterKey;
        _localId = localId;
        _members = members;
        RandomNumberGenerator.Fill(_nonce);
    }

    /// <summary>The dialer's id, known once its hello was accepted (authenticated only after its proof).</summary>
    public ulong DialerId { get; private set; }

    /// <summary>Checks the hello; on success writes the challenge (<see cref="HandshakeFormat.ChallengeSize"/> bytes).</summary>
    public HandshakeFailure TryAcceptHello(ReadOnlySpan<byte> hello, Span<byte> challenge)
    {
        if (hello.Length != HandshakeFormat.HelloSize
            || BinaryPrimitives.ReadUInt32BigEndian(hello[HandshakeFormat.HelloMagicOffset..]) != HandshakeFormat.Magic)
        {
            return HandshakeFailure.NotAHandshake;
        }
        if (hello[HandshakeFormat.HelloVersionOffset] != HandshakeFormat.Version)
        {
            return HandshakeFailure.UnsupportedVersion;
        }
        if (BinaryPrimitives.ReadUInt64BigEndian(hello[HandshakeFormat.HelloListenerIdOffset..]) != _localId)
        {
            return HandshakeFailure.WrongListener;
        }
        ulong dialer = BinaryPrimitives.ReadUInt64BigEndian(hello[HandshakeFormat.HelloDialerIdOffset..]);
        if (dialer == _localId || !_members.Contains(dialer))
        {
            return HandshakeFailure.UnexpectedPeer;
        }
        DialerId = dialer;
        HandshakeCrypto.WriteTranscript(_transcript, dialer, _localId,
            hello.Slice(HandshakeFormat.HelloNonceOffset, HandshakeFormat.NonceSize), _nonce);
        BinaryPrimitives.WriteUInt32BigEndian(challenge[HandshakeFormat.ChallengeMagicOffset..], HandshakeFormat.Magic);
        BinaryPrimitives.WriteUInt64BigEndian(challenge[HandshakeFormat.ChallengeListenerIdOffset..], _localId);
        _nonce.CopyTo(challenge[HandshakeFormat.ChallengeNonceOffset..]);
        HandshakeCrypto.ListenerProof(_key, _transcript, challenge.Slice(HandshakeFormat.ChallengeProofOffset, HandshakeFormat.ProofSize));
        _challenged = true;
        return HandshakeFailure.None;
    }

    /// <summary>Checks the dialer's proof; on success the connection is authenticated and the session keys are returned.</summary>
    public HandshakeFailure TryAcceptProof(ReadOnlySpan<byte> proofMessage, out SessionKeys? keys)
    {
        keys = null;
        if (!_challenged)
        {
            throw new InvalidOperationException("the hello was not accepted");
        }
        if (proofMessage.Length != HandshakeFormat.ProofMessageSize
            || BinaryPrimitives.ReadUInt32BigEndian(proofMessage[HandshakeFormat.ProofMagicOffset..]) != HandshakeFormat.Magic)
        {
            return HandshakeFailure.NotAHandshake;
        }
        Span<byte> expected = stackalloc byte[HandshakeFormat.ProofSize];
        HandshakeCrypto.DialerProof(_key, _transcript, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, proofMessage.Slice(HandshakeFormat.ProofOffset, HandshakeFormat.ProofSize)))
        {
            return HandshakeFailure.BadProof;
        }
        keys = HandshakeCrypto.DeriveSessionKeys(_key, _transcript);
        return HandshakeFailure.None;
    }
}
