using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Idle;

namespace FastRaft.LoadTest.Targets;

/// <summary>How the nodes of a FastRaft cluster talk.</summary>
public enum FastRaftTransport
{
    /// <summary><see cref="FastRaft.Transport.Udp.UdpTransport"/> on 127.0.0.1.</summary>
    Udp,

    /// <summary><see cref="FastRaft.Transport.Tcp.TcpTransport"/> on 127.0.0.1: one connection per peer and direction, key handshake and a MAC per frame.</summary>
    Tcp,

    /// <summary><see cref="FastRaft.Hosting.InMemory.InMemoryNetwork"/>: batches handed between threads, no sockets.</summary>
    InMemory,
}

/// <summary>Where the nodes of a FastRaft cluster keep their log.</summary>
public enum FastRaftStorage
{
    /// <summary><see cref="FastRaft.Storage.MemoryStorage"/>.</summary>
    Memory,

    /// <summary><see cref="FastRaft.Storage.Wal.WriteAheadLog"/> with its defaults (a data sync per Ready).</summary>
    WriteAheadLog,
}

/// <summary>A FastRaft cluster's setup; the defaults are the ones every FastRaft scenario compares with.</summary>
public sealed record FastRaftTargetOptions
{
    public FastRaftTransport Transport { get; init; } = FastRaftTransport.Udp;

    public FastRaftStorage Storage { get; init; } = FastRaftStorage.Memory;

    /// <summary>Wall-clock time per tick.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Election timeout in ticks (with <see cref="TickInterval"/>: 300 ms, as the DotNext targets' lower bound).</summary>
    public int ElectionTick { get; init; } = 30;

    /// <summary>Heartbeat interval in ticks.</summary>
    public int HeartbeatTick { get; init; } = 3;

    /// <summary>The largest append message: below the UDP transport's whole-datagram limit so appends are never chunked (TCP uses the same, to compare like with like).</summary>
    public ulong MaxSizePerMsg { get; init; } = 32 * 1024;

    /// <summary>Append messages in flight per follower (the core's default; <c>--fastraft-inflight</c> overrides it for a run).</summary>
    public int MaxInflightMsgs { get; init; } = 256;

    /// <summary>State machine snapshots (and log compaction), so memory stays bounded in long runs.</summary>
    public SnapshotPolicy Snapshots { get; init; } = new() { EveryEntries = 100_000, KeepEntries = 10_000 };

    /// <summary>The node threads' idle strategy (the host's default).</summary>
    public Func<IIdleStrategy> IdleStrategy { get; init; } = static () => new ParkingIdleStrategy();

    /// <summary>Builds each node's state machine (default: <see cref="CountingStateMachine"/>).</summary>
    public Func<ulong, IStateMachine<long>> StateMachine { get; init; } = static _ => new CountingStateMachine();

    /// <summary>Fills proposals (default: <see cref="Payloads.WriteSequence"/>).</summary>
    public PayloadWriter PayloadWriter { get; init; } = Payloads.WriteSequence;

    internal RaftConfig RaftConfig(ulong id) => new()
    {
        Id = id,
        ElectionTick = ElectionTick,
        HeartbeatTick = HeartbeatTick,
        MaxSizePerMsg = MaxSizePerMsg,
        MaxInflightMsgs = MaxInflightMsgs,
        PreVote = true,
        CheckQuorum = true,
        Random = new Random(1000 + (int)id),
    };
}
