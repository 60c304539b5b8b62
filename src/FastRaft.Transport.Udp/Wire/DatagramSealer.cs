namespace FastRaft.Transport.Udp.Wire;

/// <summary>
/// Finishes a datagram whose body is written: puts the header in front (with the next sequence
/// number) and the trailer behind: with a cluster key a MAC, without one a CRC-32C. One per
/// sending thread (the MAC state is per thread); the sequence source is shared.
/// </summary>
internal sealed class DatagramSealer(ulong clusterId, ulong localId, SequenceSource sequences, DatagramAuthenticator? authenticator)
{
    /// <summary>The most bytes any trailer takes (a buffer sized for a body plus this fits either).</summary>
    public const int MaxTrailerSize = DatagramAuthenticator.MacSize;

    /// <summary>Bytes the trailer adds after the body: the MAC with a key, the CRC-32C without.</summary>
    public int TrailerSize => authenticator is null ? DatagramChecksum.Size : DatagramAuthenticator.MacSize;

    /// <summary>
    /// Writes the header into <paramref name="datagram"/>[0..<see cref="DatagramHeader.Size"/>] and
    /// the trailer right after the body, which ends at <paramref name="bodyEnd"/>. Returns the datagram's length.
    /// </summary>
    public int Seal(Span<byte> datagram, int bodyEnd, DatagramKind kind, ulong receiver)
    {
        var flags = authenticator is null ? DatagramFlags.Checksummed : DatagramFlags.Authenticated;
        new DatagramHeader(kind, flags, clusterId, localId, receiver, sequences.Next()).Write(datagram);
        if (authenticator is null)
        {
            return DatagramChecksum.Append(datagram, bodyEnd);
        }
        authenticator.Sign(datagram[..bodyEnd], datagram.Slice(bodyEnd, DatagramAuthenticator.MacSize));
        return bodyEnd + DatagramAuthenticator.MacSize;
    }
}
