namespace FastRaft.Codec.Framing;

/// <summary>What <see cref="FrameReader.TryReadFrame"/> found at the start of the buffer.</summary>
public enum FrameStatus
{
    /// <summary>A whole frame was read.</summary>
    Complete,

    /// <summary>The buffer holds only part of a frame (or nothing): wait for more bytes.</summary>
    Incomplete,

    /// <summary>The first byte is not a frame marker: the stream is not ours or is corrupt.</summary>
    BadMarker,

    /// <summary>The header announces a payload above the reader's bound.</summary>
    TooLarge,
}
