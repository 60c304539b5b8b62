using System.Buffers;
using System.Diagnostics.CodeAnalysis;

namespace FastRaft.Transport.Udp.Wire;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over one reused array, for encoding into a datagram (or a
/// large message) in place. The caller checks sizes before writing (the codec tells the exact
/// encoded size); the array has <see cref="Slack"/> spare bytes past the limit because the
/// MessagePack writer asks for worst-case head room before writing each small value.
/// </summary>
// Not CommunityToolkit's ArrayPoolBufferWriter<byte>: its Clear() zeroes what was written (a memset
// per datagram), and it can neither keep a header prefix on reset nor encode into a given array.
internal sealed class DatagramBuffer : IBufferWriter<byte>
{
    /// <summary>More than the largest reservation the codec makes beyond what it then writes.</summary>
    public const int Slack = 1024;

    private byte[] _array;
    private int _written;

    public DatagramBuffer(int limit)
    {
        _array = new byte[limit + Slack];
    }

    /// <summary>Wraps <paramref name="array"/> (at least <see cref="Slack"/> bytes longer than what will be written).</summary>
    public DatagramBuffer(byte[] array)
    {
        _array = array;
    }

    public byte[] Array => _array;

    public int Written => _written;

    public Span<byte> WrittenSpan => _array.AsSpan(0, _written);

    /// <summary>Starts over, with <paramref name="reserved"/> bytes at the front kept for a header written later.</summary>
    public void Reset(int reserved) => _written = reserved;

    /// <summary>Switches to another array (used for large messages encoded into rented arrays).</summary>
    public void Attach(byte[] array)
    {
        _array = array;
        _written = 0;
    }

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_array.Length - _written))
        {
            ThrowAdvance(count);
        }
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureRoom(sizeHint);
        return _array.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureRoom(sizeHint);
        return _array.AsSpan(_written);
    }

    private void EnsureRoom(int sizeHint)
    {
        if (sizeHint > _array.Length - _written)
        {
            ThrowFull(sizeHint);
        }
    }

    [DoesNotReturn]
    private void ThrowFull(int sizeHint) =>
        throw new InvalidOperationException($"datagram buffer full: {sizeHint} bytes requested, {_array.Length - _written} left (the size check before encoding is wrong)");

    [DoesNotReturn]
    private void ThrowAdvance(int count) =>
        throw new ArgumentOutOfRangeException(nameof(count), count, "advancing past the end of the datagram buffer");
}
