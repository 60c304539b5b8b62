using System.Buffers;
using FastRaft.Protocol;

namespace FastRaft.Codec.Framing;

/// <summary>
/// Decodes a frame's payload into a <see cref="Message"/>. A payload inside one segment (the
/// common case) is decoded where it lies, so the message's views point into the pipe's memory
/// and are valid until the reader advances past them; a payload split across segments is
/// copied into this decoder's scratch buffer first (valid until the next split payload). One
/// decoder per connection; not thread-safe.
/// </summary>
public sealed class FramePayloadDecoder
{
    private byte[] _scratch = new byte[4096];

    /// <summary>Whether the last decode had to copy a split payload (for counters and tests).</summary>
    public bool LastCopied { get; private set; }

    /// <summary>
    /// Decodes exactly one message from <paramref name="payload"/> (trailing bytes are an error);
    /// entries go into <paramref name="entries"/>. Never throws on input.
    /// </summary>
    public bool TryDecode(in ReadOnlySequence<byte> payload, EntryBuffer entries, out Message m, out WireError error)
    {
        ReadOnlyMemory<byte> source;
        if (payload.IsSingleSegment)
        {
            source = payload.First;
            LastCopied = false;
        }
        else
        {
            source = CopyToScratch(payload);
            LastCopied = true;
        }
        int offset = 0;
        int entriesBefore = entries.Count;
        if (!RaftMessageCodec.TryRead(source, ref offset, entries, out m, out error))
        {
            return false;
        }
        if (offset != source.Length)
        {
            entries.Truncate(entriesBefore);
            m = default;
            error = new WireError(WireField.Message, WireProblem.TrailingBytes);
            return false;
        }
        return true;
    }

    private ReadOnlyMemory<byte> CopyToScratch(in ReadOnlySequence<byte> payload)
    {
        int length = (int)payload.Length;
        if (_scratch.Length < length)
        {
            _scratch = new byte[Math.Max(length, _scratch.Length * 2)];
        }
        payload.CopyTo(_scratch);
        return new ReadOnlyMemory<byte>(_scratch, 0, length);
    }
}
