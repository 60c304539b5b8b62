using System.Buffers.Binary;

namespace FastRaft.LoadTest.Targets;

/// <summary>Writes a proposal's payload (the buffer has the configured payload size) for its sequence number.</summary>
public delegate void PayloadWriter(Span<byte> destination, long sequence);

/// <summary>The default payload: the proposal's sequence number, then zeros up to the payload size.</summary>
public static class Payloads
{
    public static void WriteSequence(Span<byte> destination, long sequence)
    {
        if (destination.Length >= sizeof(long))
        {
            BinaryPrimitives.WriteInt64LittleEndian(destination, sequence);
            destination[sizeof(long)..].Clear();
        }
        else
        {
            destination.Fill((byte)sequence);
        }
    }
}
