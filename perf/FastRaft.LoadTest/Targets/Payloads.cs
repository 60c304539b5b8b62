using System.Buffers.Binary;

namespace FastRaft.LoadTest.Targets;

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
