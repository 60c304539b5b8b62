using FastRaft.Sample.Matching;
using FastRaft.Sample.Workload;

namespace FastRaft.Tests.Sample;

/// <summary>Applying encoded commands to a warmed-up engine allocates nothing (it runs on the Raft node thread).</summary>
public class EngineAllocationTests
{
    private const int Clients = 16;
    private const int Round = 10_000;

    [Fact]
    public void Applying_encoded_commands_in_steady_state_allocates_nothing()
    {
        var engine = new MatchingEngine(MatchingEngineTests.Instruments);
        var flows = new OrderFlow[Clients];
        var sequences = new ulong[Clients];
        for (int c = 0; c < Clients; c++)
        {
            flows[c] = new OrderFlow(engine.Instruments, 500 + c) { InvalidEvery = 100 };
        }
        // Warm up on 50,000 commands so the books, the order index and the client table reach their working size.
        RunRound(engine, flows, sequences, 5 * Round, out _);
        long[] rounds = new long[3];
        for (int r = 0; r < rounds.Length; r++)
        {
            RunRound(engine, flows, sequences, Round, out rounds[r]);
            if (rounds[r] == 0)
            {
                Assert.True(engine.Statistics.Trades > 0);
                return;
            }
        }
        Assert.Fail($"bytes allocated per round of {Round} commands: {string.Join(", ", rounds)}");
    }

    /// <summary>Runs the flows command by command (each result fed back at once), counting only the bytes allocated inside <see cref="MatchingEngine.Apply"/>.</summary>
    private static void RunRound(MatchingEngine engine, OrderFlow[] flows, ulong[] sequences, int count, out long allocated)
    {
        var random = new Random(count + (int)sequences[0]);
        var encoder = new System.Buffers.ArrayBufferWriter<byte>(CommandCodec.MaxEncodedSize);
        allocated = 0;
        for (int i = 0; i < count; i++)
        {
            int c = random.Next(Clients);
            OrderCommand command = flows[c].Next((ulong)c + 1, ++sequences[c]);
            encoder.ResetWrittenCount();
            CommandCodec.Encode(command, encoder);
            ReadOnlyMemory<byte> bytes = encoder.WrittenMemory;
            long before = GC.GetAllocatedBytesForCurrentThread();
            CommandResult result = engine.Apply(bytes);
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            flows[c].Observe(command, result);
        }
    }
}
