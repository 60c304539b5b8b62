using BenchmarkDotNet.Attributes;
using FastRaft.Protocol;
using FastRaft.Sample.Matching;
using FastRaft.Transport.Tcp.Snapshots;

namespace FastRaft.Benchmarks.Toolkit;

/// <summary>
/// The paths issue 13 moved onto CommunityToolkit.HighPerformance's ArrayPoolBufferWriter: the
/// sample engine's snapshot write and state hash (on an engine with <see cref="RestingOrders"/>
/// orders from <see cref="Clients"/> clients resting on two books), one command's encoding into a
/// new array, and the TCP transport's copy of a 1 MiB snapshot message into pooled piece frames.
/// Written against APIs that also exist before issue 13 (the snapshot message type is given by
/// number, its name changed), so the same class measures both builds.
/// </summary>
[MemoryDiagnoser]
public class ToolkitBufferBenchmarks
{
    public const int RestingOrders = 10_000;
    public const int Clients = 100;
    public const int SnapshotBytes = 1 << 20;

    // MessageType.Snapshot (MsgSnap before issue 13).
    private const MessageType SnapshotMessageType = (MessageType)7;

    private MatchingEngine _engine = null!;
    private Message _snapshotMessage;
    private OrderCommand _command;

    [GlobalSetup]
    public void Setup()
    {
        _engine = PopulatedEngine();
        var data = new byte[SnapshotBytes];
        new Random(13).NextBytes(data);
        _snapshotMessage = new Message
        {
            Type = SnapshotMessageType,
            From = 1,
            To = 2,
            Term = 5,
            Snapshot = new Snapshot(data, new SnapshotMetadata(new ConfState { Voters = [1, 2, 3] }, 1234, 4)),
        };
        _command = OrderCommand.Limit(42, 7, 1, Side.Buy, 1_000, 25);
    }

    [Benchmark]
    public void MatchingEngineWriteSnapshot() => _engine.WriteSnapshot(Stream.Null);

    [Benchmark]
    public byte[] MatchingEngineComputeStateHash() => _engine.ComputeStateHash();

    [Benchmark]
    public byte[] CommandCodecEncode() => CommandCodec.Encode(_command);

    [Benchmark]
    public long TcpOutgoingSnapshotCopy1MiB()
    {
        using OutgoingSnapshot copy = OutgoingSnapshot.Copy(_snapshotMessage);
        return copy.DataLength;
    }

    // Bids below asks on both books, so nothing trades and every order rests.
    private static MatchingEngine PopulatedEngine()
    {
        var engine = new MatchingEngine([new Instrument(1, "AAA"), new Instrument(2, "BBB")]);
        for (int i = 0; i < RestingOrders; i++)
        {
            ulong client = (ulong)(i % Clients) + 1;
            ulong sequence = (ulong)(i / Clients) + 1;
            int instrument = (i & 1) + 1;
            bool buy = (i & 2) == 0;
            long price = buy ? 1_000 - (i % 500) : 2_000 + (i % 500);
            engine.Execute(OrderCommand.Limit(client, sequence, instrument, buy ? Side.Buy : Side.Sell, price, 10 + (i % 90)));
        }
        if (engine.RestingOrders != RestingOrders)
        {
            throw new InvalidOperationException($"expected {RestingOrders} resting orders, the engine has {engine.RestingOrders}");
        }
        return engine;
    }
}
