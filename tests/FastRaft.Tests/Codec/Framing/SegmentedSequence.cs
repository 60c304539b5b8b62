using System.Buffers;

namespace FastRaft.Tests.Codec.Framing;

/// <summary>Builds a ReadOnlySequence over a byte stream cut at given positions (one segment per piece).</summary>
internal static class SegmentedSequence
{
    public static ReadOnlySequence<byte> Cut(ReadOnlyMemory<byte> bytes, IReadOnlyList<int> cuts)
    {
        if (cuts.Count == 0 || bytes.IsEmpty)
        {
            return new ReadOnlySequence<byte>(bytes);
        }
        Segment? first = null;
        Segment? last = null;
        int from = 0;
        foreach (int cut in cuts.Append(bytes.Length))
        {
            if (cut <= from)
            {
                continue;
            }
            var s = new Segment(bytes[from..cut], last);
            first ??= s;
            last = s;
            from = cut;
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    /// <summary>Random cut positions (sorted, distinct) inside a stream of <paramref name="length"/> bytes.</summary>
    public static List<int> RandomCuts(Random rng, int length, int maxCuts)
    {
        var cuts = new SortedSet<int>();
        int n = length <= 1 ? 0 : rng.Next(maxCuts + 1);
        for (int i = 0; i < n; i++)
        {
            cuts.Add(1 + rng.Next(length - 1));
        }
        return [.. cuts];
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }
}
