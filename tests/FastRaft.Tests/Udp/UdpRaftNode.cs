using System.Buffers.Binary;
using System.Collections.Concurrent;
using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.Idle;
using FastRaft.Protocol;
using FastRaft.Storage;
using FastRaft.Transport.Udp;

namespace FastRaft.Tests.Udp;

/// <summary>
/// A node as users run it over UDP: a <see cref="RaftNode{TResult}"/> (its agent on a thread of
/// its own) over a MemoryStorage and a <see cref="UdpTransport"/>, polled by the node thread in the
/// polled mode, or handing batches over from its receive thread. A proposer thread keeps proposals
/// going while this node leads. The state machine (<see cref="PayloadLog"/>) keeps the applied
/// payloads; its snapshot is their concatenation.
/// </summary>
internal sealed class UdpRaftNode : IDisposable
{
    /// <summary>Proposals in flight at most (so leader changes cost a bounded number of them).</summary>
    private const int ProposalWindow = 512;

    private readonly SnapshotReportTap _tap;
    private readonly PayloadLog _log = new();
    private Thread? _proposer;
    private volatile bool _stop;

    /// <param name="snapshotEvery">Snapshot and compact the log (keeping nothing behind) every this many applied entries; 0: never.</param>
    /// <param name="idleStrategy">The node thread's idle strategy (default: the host's).</param>
    public UdpRaftNode(ulong id, ulong[] voters, UdpTransportOptions transport, int tickMillis = 10, ulong snapshotEvery = 0, Func<IIdleStrategy>? idleStrategy = null)
    {
        Storage = new MemoryStorage();
        Transport = new UdpTransport(transport);
        _tap = new SnapshotReportTap(Transport, SnapshotReports);
        var options = new RaftNodeOptions
        {
            Raft = new RaftConfig
            {
                Id = id,
                ElectionTick = 20,
                HeartbeatTick = 2,
                PreVote = true,
                CheckQuorum = true,
                MaxInflightMsgs = 256,
                Random = new Random(100 + (int)id),
            },
            TickInterval = TimeSpan.FromMilliseconds(tickMillis),
            InitialMembers = voters,
            Snapshots = new SnapshotPolicy { EveryEntries = snapshotEvery, KeepEntries = 0 },
            IdleStrategy = idleStrategy ?? (static () => new ParkingIdleStrategy()),
        };
        Node = new RaftNode<long>(options, Storage, _tap, _log);
    }

    public RaftNode<long> Node { get; }

    public MemoryStorage Storage { get; }

    public UdpTransport Transport { get; }

    public ulong Id => Node.Id;

    /// <summary>
    /// While leader, propose until the applied entries reach this many (so the cluster ends with
    /// about this many payloads whatever leader changes drop on the way).
    /// </summary>
    public long ProposeUntil { get; set; }

    public long AppliedCount => _log.Count;

    public ulong Commit => Node.CommitIndex;

    public bool IsLeader => Node.IsLeader;

    /// <summary>Duty cycles the node thread has run.</summary>
    public long Cycles => Node.Counters.LoopIterations;

    /// <summary>Snapshot reports the transport passed to this node (leader side).</summary>
    public ConcurrentQueue<SnapshotStatus> SnapshotReports { get; } = new();

    /// <summary>Snapshots this node's state machine was restored from (follower side).</summary>
    public long RestoredSnapshots => _log.Restores;

    /// <summary>The applied payloads, after <see cref="Stop"/>.</summary>
    public List<byte[]> Applied => _log.Payloads;

    public void Start()
    {
        Node.Start();
        _proposer = new Thread(ProposeWhileLeading) { IsBackground = true, Name = $"test proposer {Id}" };
        _proposer.Start();
    }

    /// <summary>Stops proposing and stops the node (its transport is closed with it).</summary>
    public void Stop()
    {
        _stop = true;
        // Stopping the node first fails the proposals in flight, so the proposer ends at once.
        Assert.True(Node.StopAsync().Wait(TimeSpan.FromSeconds(10)), $"node {Id} did not stop");
        Assert.True(_proposer?.Join(TimeSpan.FromSeconds(10)) ?? true, $"node {Id}'s proposer did not stop");
        _proposer = null;
    }

    /// <summary>Stops the node if it runs; a node never started is closed (its transport with it).</summary>
    public void Dispose() => Stop();

    /// <summary>
    /// Makes node <paramref name="id"/> the leader of <paramref name="nodes"/> (running): waits for
    /// an election, then has the leader hand over if it is another node.
    /// </summary>
    public static void EnsureLeader(List<UdpRaftNode> nodes, ulong id, TimeSpan deadline)
    {
        UdpRaftNode wanted = nodes.Single(n => n.Id == id);
        for (int attempt = 0; attempt < 5 && !wanted.IsLeader; attempt++)
        {
            Assert.True(Wait.Until(() => nodes.Any(n => n.IsLeader), deadline), "no leader elected");
            UdpRaftNode? leader = nodes.FirstOrDefault(n => n.IsLeader);
            if (leader is not null && leader != wanted)
            {
                // Its result does not matter: what counts is who leads afterwards.
                leader.Node.TransferLeadershipAsync(id).AsTask().Wait(deadline);
            }
            Wait.Until(() => wanted.IsLeader, TimeSpan.FromSeconds(2));
        }
        Assert.True(wanted.IsLeader, $"node {id} did not become the leader");
    }

    private void ProposeWhileLeading()
    {
        long sequence = 0;
        var inFlight = new List<Task<ProposeResult<long>>>(ProposalWindow);
        while (!_stop)
        {
            long missing = ProposeUntil - AppliedCount;
            if (!IsLeader || missing <= 0)
            {
                Thread.Sleep(1);
                continue;
            }
            for (long i = 0; i < Math.Min(missing, ProposalWindow); i++)
            {
                var payload = new byte[16];
                BinaryPrimitives.WriteUInt64LittleEndian(payload, Id);
                BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(8), (ulong)++sequence);
                inFlight.Add(Node.ProposeAsync(payload).AsTask());
            }
            // Failures (a leader change, the node stopping) are simply proposed again while leader.
            Task.WaitAll([.. inFlight], TimeSpan.FromSeconds(10));
            inFlight.Clear();
        }
    }

    /// <summary>All entries in this node's log, after <see cref="Stop"/>.</summary>
    public List<Entry> Log()
    {
        var buffer = new EntryBuffer();
        ulong first = Storage.FirstIndex(), last = Storage.LastIndex();
        if (last >= first)
        {
            Assert.Equal(StorageStatus.Ok, Storage.Entries(first, last + 1, ulong.MaxValue, buffer));
        }
        return [.. buffer.Span.ToArray().Select(e => e with { Data = e.Data.ToArray() })];
    }
}

/// <summary>
/// The state machine of <see cref="UdpRaftNode"/>: the applied payloads in order (the count is
/// readable from any thread); its snapshot is their concatenation (16 bytes each).
/// </summary>
internal sealed class PayloadLog : IStateMachine<long>
{
    private const int PayloadSize = 16;
    private long _count;
    private long _restores;

    public List<byte[]> Payloads { get; } = [];

    public long Count => Interlocked.Read(ref _count);

    /// <summary>Snapshots restored (a brand-new node restores none).</summary>
    public long Restores => Interlocked.Read(ref _restores);

    public void Apply(ReadOnlySpan<Entry> entries, Span<long> results)
    {
        for (int i = 0; i < entries.Length; i++)
        {
            if (!entries[i].Data.IsEmpty)
            {
                Payloads.Add(entries[i].Data.ToArray());
                Interlocked.Increment(ref _count);
            }
            results[i] = Payloads.Count;
        }
    }

    public void SaveSnapshot(Stream destination)
    {
        foreach (byte[] p in Payloads)
        {
            destination.Write(p);
        }
    }

    public void RestoreSnapshot(Stream source)
    {
        Payloads.Clear();
        var payload = new byte[PayloadSize];
        while (source.ReadAtLeast(payload, PayloadSize, throwOnEndOfStream: false) == PayloadSize)
        {
            Payloads.Add([.. payload]);
        }
        Interlocked.Exchange(ref _count, Payloads.Count);
        Interlocked.Increment(ref _restores);
    }
}

/// <summary>
/// A transport that is <paramref name="inner"/> in every way (polling and wait source included),
/// except that the snapshot reports it makes to the node are also recorded in <paramref name="reports"/>.
/// </summary>
internal sealed class SnapshotReportTap(ITransport inner, ConcurrentQueue<SnapshotStatus> reports) : ITransport
{
    public ulong LocalId => inner.LocalId;

    public int MaxWholeMessageSize => inner.MaxWholeMessageSize;

    public IWaitSource? WaitSource => inner.WaitSource;

    public void Start(ITransportSink sink) => inner.Start(new Sink(sink, reports));

    public void Send(in Message message) => inner.Send(message);

    public void Flush() => inner.Flush();

    public int Poll(long now) => inner.Poll(now);

    public void OnConfigurationChanged(ConfState confState) => inner.OnConfigurationChanged(confState);

    public void Dispose() => inner.Dispose();

    private sealed class Sink(ITransportSink node, ConcurrentQueue<SnapshotStatus> reports) : ITransportSink
    {
        public bool Deliver(InboundBatch batch) => node.Deliver(batch);

        public void ReportUnreachable(ulong nodeId) => node.ReportUnreachable(nodeId);

        public void ReportSnapshot(ulong nodeId, SnapshotStatus status)
        {
            reports.Enqueue(status);
            node.ReportSnapshot(nodeId, status);
        }
    }
}
