namespace FastRaft.Transport.Tcp.Security;

/// <summary>
/// What follows each frame's payload on one direction of a connection: a MAC
/// (<see cref="FrameAuthenticator"/>) or, without authentication, a checksum
/// (<see cref="FrameChecksum"/>). Single-threaded (one per direction); allocation-free.
/// </summary>
internal interface IFrameTrailer : IDisposable
{
    /// <summary>The trailer's size in bytes.</summary>
    int Size { get; }

    /// <summary>Writes the next frame's trailer for <paramref name="payload"/>.</summary>
    void Sign(ReadOnlySpan<byte> payload, Span<byte> trailer);

    /// <summary>Whether <paramref name="trailer"/> is the next frame's trailer for <paramref name="payload"/>.</summary>
    bool Verify(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> trailer);
}
