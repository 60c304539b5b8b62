using System.Buffers.Binary;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Sample.Matching;

namespace FastRaft.LoadTest.Targets;

/// <summary>
/// The sample's matching engine as a load-test state machine. A proposal carries only its
/// sequence number (the same 16-byte payloads as every other scenario); the command is derived
/// from it deterministically on every replica: limit and market orders on three instruments
/// around a reference price, buys and sells mixed so most of them trade. Clients are spread over
/// 1,024 ids, each with increasing sequence numbers, so the engine's deduplication runs as in
/// the sample. The result is the engine's result code.
/// </summary>
public sealed class MatchingLoadStateMachine : IStateMachine<long>
{
    private const int Clients = 1024;
    private static readonly Instrument[] Instruments = [new(1, "ACME"), new(2, "GLOBEX"), new(3, "INITECH")];
    private readonly MatchingEngine _engine = new(Instruments);

    public void Apply(ReadOnlySpan<Entry> entries, Span<long> results)
    {
        for (int i = 0; i < entries.Length; i++)
        {
            ReadOnlySpan<byte> data = entries[i].Data.Span;
            if (data.Length < sizeof(long))
            {
                results[i] = -1;
                continue;
            }
            long sequence = BinaryPrimitives.ReadInt64LittleEndian(data);
            OrderCommand command = CommandFor(sequence);
            results[i] = (long)_engine.Execute(command).Code;
        }
    }

    /// <summary>A deterministic order for a sequence number (a cheap integer hash picks its fields).</summary>
    public static OrderCommand CommandFor(long sequence)
    {
        ulong h = (ulong)sequence * 0x9E3779B97F4A7C15UL;
        h ^= h >> 29;
        ulong clientId = (ulong)(sequence % Clients) + 1;
        ulong clientSequence = (ulong)(sequence / Clients) + 1;
        int instrument = Instruments[(int)(h % (ulong)Instruments.Length)].Id;
        Side side = ((h >> 8) & 1) == 0 ? Side.Buy : Side.Sell;
        long quantity = 1 + (long)((h >> 16) % 100);
        if (((h >> 24) % 5) == 0)
        {
            return OrderCommand.Market(clientId, clientSequence, instrument, side, quantity);
        }
        // Buys a little above the reference and sells a little below cross often, keeping books shallow.
        long offset = (long)((h >> 32) % 20) - (side == Side.Buy ? 5 : 15);
        return OrderCommand.Limit(clientId, clientSequence, instrument, side, 10_000 + offset, quantity);
    }

    public void SaveSnapshot(Stream destination) => _engine.WriteSnapshot(destination);

    public void RestoreSnapshot(Stream source)
    {
        if (source.CanSeek && source.Length == 0)
        {
            _engine.Reset();
            return;
        }
        _engine.RestoreSnapshot(source);
    }
}
