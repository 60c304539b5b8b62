using System.Buffers.Binary;
using System.Security.Cryptography;

namespace FastRaft.Transport.Tcp.Security;

/// <summary>
/// The MAC of every frame on one direction of an authenticated connection: HMAC-SHA256 with that
/// direction's session key over the frame's sequence number (implicit: frames are numbered
/// from 0 in stream order) and payload, truncated to <see cref="MacSize"/> bytes. A frame that is
/// forged, altered, replayed, dropped or reordered fails, since its number would differ.
/// Single-threaded (one per direction); allocation-free after construction.
/// </summary>
internal sealed class FrameAuthenticator : IFrameTrailer
{
    /// <summary>The length in bytes of the MAC appended to every frame (HMAC-SHA256 truncated to 128 bits).</summary>
    public const int MacSize = 16;

    int IFrameTrailer.Size => MacSize;

    private const int HashSize = 32;

    private readonly IncrementalHash _hmac;
    private ulong _sequence;

    /// <summary>An authenticator for one direction of a connection, starting at frame number 0.</summary>
    /// <param name="directionKey">That direction's session key, derived by the handshake.</param>
    public FrameAuthenticator(byte[] directionKey)
    {
        ArgumentNullException.ThrowIfNull(directionKey);
        _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, directionKey);
    }

    /// <summary>Writes the next frame's MAC of <paramref name="payload"/> into <paramref name="mac"/>.</summary>
    public void Sign(ReadOnlySpan<byte> payload, Span<byte> mac)
    {
        Span<byte> hash = stackalloc byte[HashSize];
        Compute(_sequence++, payload, hash);
        hash[..MacSize].CopyTo(mac);
    }

    /// <summary>Whether <paramref name="mac"/> is the next frame's MAC of <paramref name="payload"/> (constant time).</summary>
    public bool Verify(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> mac)
    {
        if (mac.Length != MacSize)
        {
            return false;
        }
        Span<byte> hash = stackalloc byte[HashSize];
        Compute(_sequence, payload, hash);
        if (!CryptographicOperations.FixedTimeEquals(hash[..MacSize], mac))
        {
            return false;
        }
        _sequence++;
        return true;
    }

    private void Compute(ulong sequence, ReadOnlySpan<byte> payload, Span<byte> hash)
    {
        Span<byte> number = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64BigEndian(number, sequence);
        _hmac.AppendData(number);
        _hmac.AppendData(payload);
        _hmac.TryGetHashAndReset(hash, out _);
    }

    /// <summary>Releases the HMAC state.</summary>
    public void Dispose() => _hmac.Dispose();
}
