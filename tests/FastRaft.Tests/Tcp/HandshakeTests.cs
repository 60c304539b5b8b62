using System.Security.Cryptography;
using FastRaft.Transport.Tcp.Security;

namespace FastRaft.Tests.Tcp;

public class HandshakeTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    private static readonly HashSet<ulong> Members = [1, 2, 3];

    private sealed record Run(HandshakeFailure Dialer, HandshakeFailure Listener, SessionKeys? DialerKeys, SessionKeys? ListenerKeys, byte[] Hello, byte[] Challenge, byte[] Proof);

    private static Run Connect(byte[] dialerKey, byte[] listenerKey, ulong dialer = 1, ulong listener = 2, ulong expectedListener = 2)
    {
        var d = new DialerHandshake(dialerKey, dialer, expectedListener);
        var l = new ListenerHandshake(listenerKey, listener, Members);
        byte[] hello = new byte[HandshakeFormat.HelloSize];
        byte[] challenge = new byte[HandshakeFormat.ChallengeSize];
        byte[] proof = new byte[HandshakeFormat.ProofMessageSize];
        d.WriteHello(hello);
        HandshakeFailure lf = l.TryAcceptHello(hello, challenge);
        if (lf != HandshakeFailure.None)
        {
            return new Run(HandshakeFailure.None, lf, null, null, hello, challenge, proof);
        }
        HandshakeFailure df = d.TryAcceptChallenge(challenge, proof, out SessionKeys? dk);
        if (df != HandshakeFailure.None)
        {
            return new Run(df, HandshakeFailure.None, null, null, hello, challenge, proof);
        }
        lf = l.TryAcceptProof(proof, out SessionKeys? lk);
        return new Run(df, lf, dk, lk, hello, challenge, proof);
    }

    [Fact]
    public void Both_sides_with_the_cluster_key_agree_on_fresh_session_keys()
    {
        Run a = Connect(Key, Key);
        Assert.Equal(HandshakeFailure.None, a.Dialer);
        Assert.Equal(HandshakeFailure.None, a.Listener);
        Assert.Equal(a.DialerKeys!.DialerToListener, a.ListenerKeys!.DialerToListener);
        Assert.Equal(a.DialerKeys.ListenerToDialer, a.ListenerKeys.ListenerToDialer);
        Assert.NotEqual(a.DialerKeys.DialerToListener, a.DialerKeys.ListenerToDialer);
        Run b = Connect(Key, Key);
        Assert.NotEqual(a.DialerKeys.DialerToListener, b.DialerKeys!.DialerToListener);
    }

    [Fact]
    public void A_listener_without_the_key_is_refused_by_the_dialer()
    {
        Run r = Connect(Key, RandomNumberGenerator.GetBytes(32));
        Assert.Equal(HandshakeFailure.BadProof, r.Dialer);
    }

    [Fact]
    public void A_dialer_without_the_key_is_refused_by_the_listener()
    {
        var l = new ListenerHandshake(Key, 2, Members);
        var d = new DialerHandshake(RandomNumberGenerator.GetBytes(32), 1, 2);
        byte[] hello = new byte[HandshakeFormat.HelloSize];
        byte[] challenge = new byte[HandshakeFormat.ChallengeSize];
        d.WriteHello(hello);
        Assert.Equal(HandshakeFailure.None, l.TryAcceptHello(hello, challenge));
        // The impostor cannot check the listener's proof, and its own proof is wrong.
        byte[] proof = new byte[HandshakeFormat.ProofMessageSize];
        proof[0] = 0x46; proof[1] = 0x52; proof[2] = 0x54; proof[3] = 0x31;
        RandomNumberGenerator.Fill(proof.AsSpan(HandshakeFormat.ProofOffset));
        Assert.Equal(HandshakeFailure.BadProof, l.TryAcceptProof(proof, out SessionKeys? keys));
        Assert.Null(keys);
    }

    [Fact]
    public void A_recorded_handshake_replayed_against_a_new_connection_is_refused()
    {
        Run recorded = Connect(Key, Key);
        // An attacker replays the dialer's hello and proof to a new listener: its nonce is new.
        var l = new ListenerHandshake(Key, 2, Members);
        byte[] challenge = new byte[HandshakeFormat.ChallengeSize];
        Assert.Equal(HandshakeFailure.None, l.TryAcceptHello(recorded.Hello, challenge));
        Assert.Equal(HandshakeFailure.BadProof, l.TryAcceptProof(recorded.Proof, out _));
        // Or replays the listener's challenge to a new dialer: its nonce is new too.
        var d = new DialerHandshake(Key, 1, 2);
        d.WriteHello(new byte[HandshakeFormat.HelloSize]);
        Assert.Equal(HandshakeFailure.BadProof, d.TryAcceptChallenge(recorded.Challenge, new byte[HandshakeFormat.ProofMessageSize], out _));
    }

    [Theory]
    [InlineData(9ul, 2ul, 2ul, (int)HandshakeFailure.UnexpectedPeer)] // not a member
    [InlineData(2ul, 2ul, 2ul, (int)HandshakeFailure.UnexpectedPeer)] // claims the listener's own id
    [InlineData(1ul, 2ul, 3ul, (int)HandshakeFailure.WrongListener)] // dialed the wrong node
    public void Identities_are_checked(ulong dialer, ulong listener, ulong expected, int failure)
    {
        // HandshakeFailure is internal, so the theory carries its value as an int.
        Run r = Connect(Key, Key, dialer, listener, expected);
        Assert.Equal((HandshakeFailure)failure, r.Listener);
    }

    [Fact]
    public void Fuzzed_handshake_messages_are_refused_without_throwing()
    {
        var rng = new Random(3);
        Run good = Connect(Key, Key);
        for (int i = 0; i < 20_000; i++)
        {
            var l = new ListenerHandshake(Key, 2, Members);
            byte[] hello = Mutate(rng, good.Hello);
            byte[] challenge = new byte[HandshakeFormat.ChallengeSize];
            HandshakeFailure f = l.TryAcceptHello(hello, challenge);
            if (f == HandshakeFailure.None)
            {
                Assert.NotEqual(HandshakeFailure.None, l.TryAcceptProof(Mutate(rng, good.Proof), out _));
            }
            var d = new DialerHandshake(Key, 1, 2);
            d.WriteHello(new byte[HandshakeFormat.HelloSize]);
            Assert.NotEqual(HandshakeFailure.None, d.TryAcceptChallenge(Mutate(rng, good.Challenge), new byte[HandshakeFormat.ProofMessageSize], out _));
        }
    }

    private static byte[] Mutate(Random rng, byte[] source)
    {
        byte[] b;
        switch (rng.Next(3))
        {
            case 0:
                b = new byte[rng.Next(100)];
                rng.NextBytes(b);
                return b;
            case 1:
                return source.AsSpan(0, rng.Next(source.Length)).ToArray();
            default:
                b = (byte[])source.Clone();
                b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                return b;
        }
    }
}
