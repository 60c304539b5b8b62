namespace FastRaft.Codec.Framing;

/// <summary>
/// How messages are framed on a stream: each frame is one MessagePack bin 32 object (marker
/// <see cref="Marker"/>, then the payload length as a big-endian 32-bit integer, then the
/// payload), so a stream of frames is itself a valid MessagePack stream. The header has a fixed
/// size, so a writer that knows the payload size writes it before the payload and never patches.
/// </summary>
public static class FrameFormat
{
    /// <summary>MessagePack's bin 32 marker: the only frame header accepted.</summary>
    public const byte Marker = 0xc6;

    /// <summary>Offset of the big-endian payload length inside the header.</summary>
    public const int LengthOffset = 1;

    /// <summary>Header bytes before the payload: marker and 32-bit length.</summary>
    public const int HeaderSize = 5;

    /// <summary>The default bound on one frame's payload (a reader refuses longer frames before buffering them).</summary>
    public const int DefaultMaxPayloadBytes = 4 * 1024 * 1024;
}
