namespace FastRaft.Transport.Udp.Wire;

/// <summary>
/// Finishes a datagram whose body is written: puts the header in front (with the next sequence
/// number) and, with a cluster key, the MAC behind. One per sending thread (the MAC state is
/// per thread); the sequence source is shared.
/// </summary>
internal sealed class DatagramSealer(ulong clusterId, ulong localId, SequenceSource sequences, DatagramAuthenticator? authenticator)
{
    /// <summary>Bytes the MAC adds after the body (0 without a key).</summary>
    public int MacSize => authenticator is null ? 0 : DatagramAuthenticator.MacSize;

    /// <summary>
    /// Writes the header into <paramref name="datagram"/>[0..<see cref="DatagramHeader.Size"/>] and
    /// the MAC right after the body, which ends at <paramref name="bodyEnd"/>. Returns the datagram's length.
    /// </summary>
    public int Seal(Span<byte> datagram, int bodyEnd, DatagramKind kind, ulong receiver)
    {
        var flags = authenticator is null ? DatagramFlags.None : DatagramFlags.Authenticated;
        new DatagramHeader(kind, flags, clusterId, localId, receiver, sequences.Next()).Write(datagram);
        if (authenticator is null)
        {
            return bodyEnd;
        }
        authenticator.Sign(datagram[..bodyEnd], datagram.Slice(bodyEnd, DatagramAuthenticator.MacSize));
        return bodyEnd + DatagramAuthenticator.MacSize;
    }
}
