using System.Buffers.Binary;
using FastRaft.Hosting;
using FastRaft.Protocol;

namespace FastRaft.LoadTest.Targets;

/// <summary>The load tests' state machine: it counts non-empty entries and allocates nothing, so the results measure consensus, not the application.</summary>
public sealed class CountingStateMachine : IStateMachine<long>
{
    private long _count;

    public long Count => Volatile.Read(ref _count);

    public void Apply(ReadOnlySpan<Entry> entries, Span<long> results)
    {
        long count = _count;
        for (int i = 0; i < entries.Length; i++)
        {
            if (!entries[i].Data.IsEmpty)
            {
                count++;
            }
            results[i] = count;
        }
        Volatile.Write(ref _count, count);
    }

    public void SaveSnapshot(Stream destination)
    {
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, _count);
        destination.Write(bytes);
    }

    public void RestoreSnapshot(Stream source)
    {
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        if (source.Length == 0)
        {
            _count = 0;
            return;
        }
        source.ReadExactly(bytes);
        _count = BinaryPrimitives.ReadInt64LittleEndian(bytes);
    }
}
