using System.Buffers;
using FastRaft.Codec;
using FastRaft.Core;
using FastRaft.Protocol;
using static FastRaft.Tests.Codec.CodecFixtures;

namespace FastRaft.Tests.Codec;

/// <summary>
/// Encoding into a reused buffer and decoding into a reused entry buffer allocate nothing once
/// warm, for the messages of the replication and election hot paths; rejecting malformed input
/// allocates nothing either.
/// </summary>
[Collection(Perf.AllocationGateCollection.Name)]
public class RaftMessageCodecAllocationTests
{
    private const int Iterations = 10_000;

    public static TheoryData<string> HotMessages => ["MsgApp x1", "MsgApp x64", "MsgHeartbeat", "MsgVote", "MsgAppResp", "MsgApp x64 of group 300000"];

    private static Message Build(string name) => name switch
    {
        "MsgApp x1" => App(1),
        "MsgApp x64" => App(64),
        "MsgHeartbeat" => Heartbeat(),
        "MsgVote" => Vote(),
        "MsgAppResp" => AppResp(),
        "MsgApp x64 of group 300000" => App(64) with { GroupId = 300_000 },
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(HotMessages))]
    public void Encoding_into_a_reused_buffer_allocates_nothing(string name)
    {
        Message m = Build(name);
        var output = new ArrayBufferWriter<byte>(64);

        long Run()
        {
            long written = 0;
            for (int i = 0; i < Iterations; i++)
            {
                output.ResetWrittenCount();
                RaftMessageCodec.Write(output, in m);
                written += output.WrittenCount;
            }
            return written;
        }

        Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        long total = Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(Iterations * RaftMessageCodec.EncodedSize(m), total);
    }

    [Theory]
    [MemberData(nameof(HotMessages))]
    public void Decoding_into_a_reused_entry_buffer_allocates_nothing(string name)
    {
        Message m = Build(name);
        ReadOnlyMemory<byte> bytes = Encode(m);
        var entries = new EntryBuffer();

        ulong Run()
        {
            ulong sum = 0;
            for (int i = 0; i < Iterations; i++)
            {
                entries.Clear();
                int offset = 0;
                if (!RaftMessageCodec.TryRead(bytes, ref offset, entries, out Message d, out _))
                {
                    return 0;
                }
                sum += d.Term + (ulong)d.Entries.Length;
            }
            return sum;
        }

        Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        ulong total = Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal((ulong)Iterations * (m.Term + (ulong)m.Entries.Length), total);
    }

    [Fact]
    public void Rejecting_every_truncation_of_a_64_entry_append_allocates_nothing()
    {
        ReadOnlyMemory<byte> bytes = Encode(App(64));
        var entries = new EntryBuffer(64);

        int Run()
        {
            int rejected = 0;
            for (int round = 0; rejected < Iterations; round++)
            {
                for (int length = 0; length < bytes.Length; length++)
                {
                    int offset = 0;
                    if (!RaftMessageCodec.TryRead(bytes[..length], ref offset, entries, out _, out WireError error) && error.IsError)
                    {
                        rejected++;
                    }
                }
            }
            return rejected;
        }

        Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        int rejectedCount = Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(rejectedCount >= Iterations);
    }
}
