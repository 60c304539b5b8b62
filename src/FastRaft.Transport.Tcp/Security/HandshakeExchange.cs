using System.Buffers;
using System.IO.Pipelines;

namespace FastRaft.Transport.Tcp.Security;

/// <summary>
/// Runs the key handshake over a connection's pipes. The caller bounds it with the token (a
/// peer that sends its handshake slowly or never is cut off by the caller's deadline). Cold
/// path: once per connection.
/// </summary>
internal static class HandshakeExchange
{
    /// <summary>The dialer's side: hello, then the challenge, then the proof. Keys on success.</summary>
    public static async ValueTask<(HandshakeFailure Failure, SessionKeys? Keys)> DialAsync(PipeReader input, PipeWriter output, DialerHandshake handshake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handshake);
        byte[] hello = new byte[HandshakeFormat.HelloSize];
        handshake.WriteHello(hello);
        await output.WriteAsync(hello, cancellationToken).ConfigureAwait(false);
        byte[]? challenge = await ReadExactlyAsync(input, HandshakeFormat.ChallengeSize, cancellationToken).ConfigureAwait(false);
        if (challenge is null)
        {
            return (HandshakeFailure.NotAHandshake, null);
        }
        byte[] proof = new byte[HandshakeFormat.ProofMessageSize];
        HandshakeFailure failure = handshake.TryAcceptChallenge(challenge, proof, out SessionKeys? keys);
        if (failure != HandshakeFailure.None)
        {
            return (failure, null);
        }
        await output.WriteAsync(proof, cancellationToken).ConfigureAwait(false);
        return (HandshakeFailure.None, keys);
    }

    /// <summary>The listener's side: the hello, then the challenge, then the dialer's proof. Keys on success.</summary>
    public static async ValueTask<(HandshakeFailure Failure, SessionKeys? Keys)> AcceptAsync(PipeReader input, PipeWriter output, ListenerHandshake handshake, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handshake);
        // The magic first: a peer of another security mode is told apart from garbage.
        byte[]? magic = await ReadExactlyAsync(input, sizeof(uint), cancellationToken).ConfigureAwait(false);
        if (magic is null)
        {
            return (HandshakeFailure.NotAHandshake, null);
        }
        HandshakeFailure opening = HandshakeFormat.ClassifyOpening(magic, HandshakeFormat.Magic);
        if (opening != HandshakeFailure.None)
        {
            return (opening, null);
        }
        byte[]? rest = await ReadExactlyAsync(input, HandshakeFormat.HelloSize - sizeof(uint), cancellationToken).ConfigureAwait(false);
        if (rest is null)
        {
            return (HandshakeFailure.NotAHandshake, null);
        }
        byte[] hello = [.. magic, .. rest];
        byte[] challenge = new byte[HandshakeFormat.ChallengeSize];
        HandshakeFailure failure = handshake.TryAcceptHello(hello, challenge);
        if (failure != HandshakeFailure.None)
        {
            return (failure, null);
        }
        await output.WriteAsync(challenge, cancellationToken).ConfigureAwait(false);
        byte[]? proof = await ReadExactlyAsync(input, HandshakeFormat.ProofMessageSize, cancellationToken).ConfigureAwait(false);
        if (proof is null)
        {
            return (HandshakeFailure.NotAHandshake, null);
        }
        failure = handshake.TryAcceptProof(proof, out SessionKeys? keys);
        return (failure, failure == HandshakeFailure.None ? keys : null);
    }

    /// <summary>Exactly <paramref name="size"/> bytes, or null when the stream ends first.</summary>
    internal static async ValueTask<byte[]?> ReadExactlyAsync(PipeReader input, int size, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (buffer.Length >= size)
            {
                byte[] bytes = buffer.Slice(0, size).ToArray();
                input.AdvanceTo(buffer.GetPosition(size));
                return bytes;
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                input.AdvanceTo(buffer.End);
                return null;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
