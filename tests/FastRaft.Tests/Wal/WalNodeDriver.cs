using System.Buffers.Binary;
using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.InMemory;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;
using Microsoft.Extensions.Time.Testing;

namespace FastRaft.Tests.Wal;

/// <summary>
/// A node as users run it over a WriteAheadLog: a <see cref="RaftNodeAgent{TResult}"/> on a
/// <see cref="ManualAgentInvoker"/> (the test thread runs its duty cycles), on an
/// <see cref="InMemoryNetwork"/>, with a clock of its own that moves only when the test ticks this
/// node. The state machine (<see cref="AppliedState"/>) is a count and a running hash of the
/// normal entries' payloads; its snapshot carries both with the applied index, so a restarted node
/// rebuilds it from the snapshot plus the committed entries the node hands out again.
/// </summary>
internal sealed class WalNodeDriver : IDisposable
{
    public static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>Ticks a follower waits at most before it campaigns (twice the election timeout).</summary>
    private const int MaxTicksToCampaign = 2 * ElectionTick;

    private const int ElectionTick = 10;

    private readonly string _directory;
    private readonly WalOptions _options;
    private readonly InMemoryNetwork _network;
    private ManualAgentInvoker _invoker;

    /// <param name="network">The network the node joins (null: one of its own, for a single voter).</param>
    public WalNodeDriver(ulong id, string directory, WalOptions options, ulong[]? bootstrapVoters = null, InMemoryNetwork? network = null)
    {
        Id = id;
        _directory = directory;
        _options = options;
        _network = network ?? new InMemoryNetwork();
        Wal = WriteAheadLog.Open(directory, options);
        if (bootstrapVoters is not null)
        {
            var snap = new Snapshot(AppliedState.Encode(0, 0, 1), new SnapshotMetadata(new ConfState { Voters = bootstrapVoters }, 1, 1));
            Assert.Equal(StorageStatus.Ok, Wal.ApplySnapshot(snap));
        }
        (Agent, State, _invoker) = Start();
    }

    public ulong Id { get; }

    public WriteAheadLog Wal { get; private set; }

    public RaftNodeAgent<long> Agent { get; private set; }

    /// <summary>The state machine of the running node (a new one after each restart).</summary>
    public AppliedState State { get; private set; }

    /// <summary>This node's clock: it ticks only when <see cref="Tick"/> moves it.</summary>
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2002, 3, 4, 5, 6, 7, TimeSpan.Zero));

    /// <summary>Normal entries applied.</summary>
    public long AppliedCount => State.Count;

    /// <summary>A hash over the payloads applied, in order.</summary>
    public ulong AppliedHash => State.Hash;

    public ulong AppliedIndex => State.Index;

    public bool IsLeader => Agent.IsLeader;

    /// <summary>One duty cycle; returns the work it did. A node that faulted fails the test.</summary>
    public int RunCycle()
    {
        int work = _invoker.Invoke();
        if (Agent.Fault is { } fault)
        {
            throw new InvalidOperationException($"node {Id} stopped on a fault", fault);
        }
        return work;
    }

    /// <summary>Duty cycles until one finds nothing to do (a node on its own).</summary>
    public void RunUntilQuiet()
    {
        for (int i = 0; i < 1000; i++)
        {
            if (RunCycle() == 0)
            {
                return;
            }
        }
        throw new InvalidOperationException($"node {Id} still busy after 1000 cycles");
    }

    /// <summary>Moves this node's clock one tick interval: its next duty cycle ticks the node.</summary>
    public void Tick() => Time.Advance(TickInterval);

    /// <summary>A node on its own: ticks it until it leads (a single voter campaigns when its election timeout passes).</summary>
    public void TickUntilLeader()
    {
        for (int i = 0; i <= MaxTicksToCampaign && !IsLeader; i++)
        {
            Tick();
            RunUntilQuiet();
        }
        Assert.True(IsLeader, $"node {Id} did not become leader");
    }

    /// <summary>A node on its own: proposes <paramref name="data"/> and runs until it is committed and applied.</summary>
    public ProposeResult<long> Propose(byte[] data)
    {
        ValueTask<ProposeResult<long>> pending = Agent.ProposeAsync(data);
        RunUntilQuiet();
        Assert.True(pending.IsCompleted, "the proposal did not complete");
        ProposeResult<long> r = pending.Result;
        Assert.True(r.IsOk, r.ToString());
        return r;
    }

    /// <summary>Closes the node and its log, reopens the log and builds a new node over it, as after a process restart.</summary>
    public void Restart()
    {
        _invoker.Close();
        Wal.Dispose();
        Wal = WriteAheadLog.Open(_directory, _options);
        (Agent, State, _invoker) = Start();
    }

    /// <summary>
    /// Snapshots the applied state at the applied index and compacts behind it, keeping
    /// <paramref name="keep"/> entries (between duty cycles, on the node's thread).
    /// </summary>
    public void SnapshotAndCompact(ulong keep)
    {
        Assert.Equal(StorageStatus.Ok, Wal.CreateSnapshot(AppliedIndex, null, AppliedState.Encode(AppliedCount, AppliedHash, AppliedIndex), out _));
        if (AppliedIndex > keep)
        {
            Assert.Equal(StorageStatus.Ok, Wal.Compact(AppliedIndex - keep));
        }
    }

    public void Dispose()
    {
        _invoker.Close();
        Wal.Dispose();
    }

    private (RaftNodeAgent<long>, AppliedState, ManualAgentInvoker) Start()
    {
        var state = new AppliedState();
        var options = new RaftNodeOptions
        {
            Raft = new RaftConfig
            {
                Id = Id,
                ElectionTick = ElectionTick,
                HeartbeatTick = 1,
                MaxSizePerMsg = 64 * 1024,
                MaxInflightMsgs = 256,
                Random = new Random(4321 + (int)Id),
            },
            TickInterval = TickInterval,
            Time = Time,
        };
        // The host restores the state machine from the log's snapshot and hands out the committed entries after it again.
        var agent = new RaftNodeAgent<long>(options, Wal, _network.CreateTransport(Id), state);
        var invoker = new ManualAgentInvoker(agent);
        invoker.Start();
        Assert.Null(agent.Fault);
        return (agent, state, invoker);
    }
}

/// <summary>
/// The WAL tests' state machine: the normal entries with a payload applied (count, and an
/// order-sensitive hash of their payloads) and the index of the last entry applied, checked to
/// advance one by one. Its snapshot is (count, hash, index).
/// </summary>
internal sealed class AppliedState : IStateMachine<long>
{
    private const int EncodedSize = 24;

    public long Count { get; private set; }

    public ulong Hash { get; private set; }

    public ulong Index { get; private set; }

    /// <summary>FNV-1a over the payload, chained: order-sensitive.</summary>
    public static ulong Mix(ulong hash, ReadOnlySpan<byte> payload)
    {
        hash ^= 0xCBF29CE484222325UL;
        foreach (byte b in payload)
        {
            hash = (hash ^ b) * 0x100000001B3UL;
        }
        return hash;
    }

    public static byte[] Encode(long count, ulong hash, ulong index)
    {
        byte[] b = new byte[EncodedSize];
        BinaryPrimitives.WriteInt64LittleEndian(b, count);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), hash);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(16), index);
        return b;
    }

    public void Apply(ReadOnlySpan<Entry> entries, Span<long> results)
    {
        for (int i = 0; i < entries.Length; i++)
        {
            ref readonly Entry e = ref entries[i];
            Advance(e.Index);
            if (!e.Data.IsEmpty)
            {
                Count++;
                Hash = Mix(Hash, e.Data.Span);
            }
            results[i] = Count;
        }
    }

    public void OnMembershipChanged(ulong index, ConfState confState) => Advance(index);

    public void SaveSnapshot(Stream destination) => destination.Write(Encode(Count, Hash, Index));

    public void RestoreSnapshot(Stream source)
    {
        Span<byte> b = stackalloc byte[EncodedSize];
        source.ReadExactly(b);
        Count = BinaryPrimitives.ReadInt64LittleEndian(b);
        Hash = BinaryPrimitives.ReadUInt64LittleEndian(b[8..]);
        Index = BinaryPrimitives.ReadUInt64LittleEndian(b[16..]);
    }

    private void Advance(ulong index)
    {
        if (index != Index + 1)
        {
            throw new InvalidOperationException($"applied {index} after {Index}");
        }
        Index = index;
    }
}
