using BenchmarkDotNet.Attributes;
using FastRaft.Benchmarks.Workloads;

namespace FastRaft.Benchmarks.Codec;

/// <summary>
/// MessagePack encode and decode of the messages that dominate traffic: MsgApp with 1 and 64
/// entries (16 B payloads), a heartbeat and a vote. Budget: 0 B allocated both ways (decoded
/// payloads are slices of the received buffer, entries go into a reused buffer).
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private CodecWorkload _workload = null!;

    [Params("MsgApp1", "MsgApp64", "MsgHeartbeat", "MsgVote")]
    public string Message { get; set; } = "MsgApp1";

    [GlobalSetup]
    public void Setup() => _workload = new CodecWorkload(Message);

    [Benchmark]
    public int Encode() => _workload.Encode();

    [Benchmark]
    public int Decode() => _workload.Decode();
}
