using System.Buffers.Binary;
using System.Security.Cryptography;

namespace FastRaft.Transport.Tcp.Security;

/// <summary>The HMAC computations of the handshake (cold path: once per connection).</summary>
internal static class HandshakeCrypto
{
    private static ReadOnlySpan<byte> ListenerLabel => "fastraft tcp listener proof"u8;
    private static ReadOnlySpan<byte> DialerLabel => "fastraft tcp dialer proof"u8;
    private static ReadOnlySpan<byte> DialerToListenerLabel => "fastraft tcp key dialer to listener"u8;
    private static ReadOnlySpan<byte> ListenerToDialerLabel => "fastraft tcp key listener to dialer"u8;

    public static void WriteTranscript(Span<byte> transcript, ulong dialerId, ulong listenerId, ReadOnlySpan<byte> dialerNonce, ReadOnlySpan<byte> listenerNonce)
    {
        BinaryPrimitives.WriteUInt64BigEndian(transcript, dialerId);
        BinaryPrimitives.WriteUInt64BigEndian(transcript[8..], listenerId);
        dialerNonce.CopyTo(transcript[16..]);
        listenerNonce.CopyTo(transcript[(16 + HandshakeFormat.NonceSize)..]);
    }

    public static void ListenerProof(ReadOnlySpan<byte> key, ReadOnlySpan<byte> transcript, Span<byte> proof) => Mac(key, ListenerLabel, transcript, proof);

    public static void DialerProof(ReadOnlySpan<byte> key, ReadOnlySpan<byte> transcript, Span<byte> proof) => Mac(key, DialerLabel, transcript, proof);

    public static SessionKeys DeriveSessionKeys(ReadOnlySpan<byte> key, ReadOnlySpan<byte> transcript)
    {
        var d2l = new byte[32];
        var l2d = new byte[32];
        Mac(key, DialerToListenerLabel, transcript, d2l);
        Mac(key, ListenerToDialerLabel, transcript, l2d);
        return new SessionKeys(d2l, l2d);
    }

    private static void Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> label, ReadOnlySpan<byte> transcript, Span<byte> output)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(label);
        hmac.AppendData(transcript);
        hmac.GetHashAndReset(output);
    }
}

/// <summary>The per-connection keys, one per direction, that authenticate every frame after the handshake.</summary>
internal sealed record SessionKeys(byte[] DialerToListener, byte[] ListenerToDialer);
