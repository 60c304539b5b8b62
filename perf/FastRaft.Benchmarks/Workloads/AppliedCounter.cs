using System.Buffers.Binary;
using FastRaft.Hosting;
using FastRaft.Protocol;

namespace FastRaft.Benchmarks.Workloads;

/// <summary>
/// The workloads' state machine: counts the entries with a payload it applied (each entry's result
/// is the count so far, so the n-th proposal completes with n) and their bytes, and the snapshots
/// taken of it. Its snapshot is the count.
/// </summary>
public sealed class AppliedCounter : IStateMachine<long>
{
    public long Count { get; private set; }

    public long Bytes { get; private set; }

    /// <summary>How many times the host snapshotted it.</summary>
    public long Snapshots { get; private set; }

    public void Apply(ReadOnlySpan<Entry> entries, Span<long> results)
    {
        long count = Count;
        long bytes = 0;
        for (int i = 0; i < entries.Length; i++)
        {
            int length = entries[i].Data.Length;
            if (length > 0)
            {
                count++;
                bytes += length;
            }
            results[i] = count;
        }
        Count = count;
        Bytes += bytes;
    }

    public void SaveSnapshot(Stream destination)
    {
        Span<byte> b = stackalloc byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(b, Count);
        destination.Write(b);
        Snapshots++;
    }

    public void RestoreSnapshot(Stream source)
    {
        Span<byte> b = stackalloc byte[sizeof(long)];
        int read = source.ReadAtLeast(b, b.Length, throwOnEndOfStream: false);
        Count = read == b.Length ? BinaryPrimitives.ReadInt64LittleEndian(b) : 0;
    }
}
