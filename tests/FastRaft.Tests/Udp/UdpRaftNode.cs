using System.Buffers.Binary;
using System.Collections.Concurrent;
using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Storage;
using FastRaft.Transport.Udp;

namespace FastRaft.Tests.Udp;

/// <summary>
/// A RawNode over MemoryStorage and a UdpTransport, driven by a thread of its own the way a node
/// host would: poll the transport (polled mode), step inbound batches, pass on delivery reports,
/// tick, propose (when leader), handle Ready (persist → send → apply → Advance), and when a cycle
/// found nothing to do, wait on the transport's wait source until the next tick (polled mode) or
/// sleep a millisecond (with a receive thread). The state machine is a list of applied payloads;
/// its snapshot is their concatenation.
/// </summary>
internal sealed class UdpRaftNode : ITransportSink, IDisposable
{
    private readonly ConcurrentQueue<InboundBatch> _inbox = new();
    private readonly ConcurrentQueue<(ulong Peer, SnapshotStatus? Status)> _reports = new();
    private readonly List<byte[]> _applied = [];
    private readonly int _tickMillis;
    private Thread? _thread;
    private volatile bool _stop;
    private long _appliedCount;
    private ulong _commit;
    private ulong _lastAppliedIndex = 1;
    private ulong _proposed;
    private ulong _lastCompacted;
    private volatile bool _isLeader;
    private long _cycles;

    public UdpRaftNode(ulong id, ulong[] voters, UdpTransportOptions transport, int tickMillis = 10, ulong[]? restoreData = null)
    {
        _tickMillis = tickMillis;
        Storage = new MemoryStorage();
        var boot = new Snapshot(ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(new ConfState { Voters = voters }, 1, 1));
        Assert.Equal(StorageStatus.Ok, Storage.ApplySnapshot(boot));
        Transport = new UdpTransport(transport);
        Node = new RawNode(new RaftConfig
        {
            Id = id,
            ElectionTick = 20,
            HeartbeatTick = 2,
            Storage = Storage,
            Applied = 1,
            PreVote = true,
            CheckQuorum = true,
            // Appends must travel whole: well under what one datagram carries.
            MaxSizePerMsg = (ulong)Transport.MaxBatchedMessageSize / 2,
            MaxInflightMsgs = 256,
            Random = new Random(100 + (int)id),
        });
    }

    public RawNode Node { get; }

    public MemoryStorage Storage { get; }

    public UdpTransport Transport { get; }

    public ulong Id => Node.Id;

    /// <summary>
    /// While leader, propose until applied plus not yet applied entries reach this many (so the
    /// cluster ends with about this many payloads whatever leader changes drop on the way).
    /// </summary>
    public long ProposeUntil { get; set; }

    private const int ProposalWindow = 512;

    /// <summary>Compact the log behind this many applied entries (0: never).</summary>
    public ulong CompactEvery { get; set; }

    public long AppliedCount => Interlocked.Read(ref _appliedCount);

    public ulong Commit => Volatile.Read(ref _commit);

    public bool IsLeader => _isLeader;

    /// <summary>Duty cycles the node thread has run.</summary>
    public long Cycles => Interlocked.Read(ref _cycles);

    /// <summary>Snapshot reports the transport passed to this node (leader side).</summary>
    public ConcurrentQueue<SnapshotStatus> SnapshotReports { get; } = new();

    /// <summary>Snapshots this node restored from (follower side).</summary>
    public ConcurrentQueue<Snapshot> RestoredSnapshots { get; } = new();

    public bool Campaign { get; set; }

    public void Start()
    {
        Transport.Start(this);
        _thread = new Thread(Run) { IsBackground = true, Name = $"test raft node {Id}" };
        _thread.Start();
    }

    /// <summary>The applied payloads, after <see cref="Stop"/>.</summary>
    public List<byte[]> Applied => _applied;

    public void Stop()
    {
        _stop = true;
        Transport.WaitSource?.Wake();
        _thread?.Join(TimeSpan.FromSeconds(10));
        _thread = null;
    }

    public void Dispose()
    {
        Stop();
        Transport.Dispose();
        while (_inbox.TryDequeue(out InboundBatch? b))
        {
            b.Release();
        }
    }

    // ITransportSink: called on the receive thread, or in Poll on the node thread; everything goes through the inbox.
    public bool Deliver(InboundBatch batch)
    {
        if (_stop)
        {
            batch.Release();
            return false;
        }
        _inbox.Enqueue(batch);
        return true;
    }

    public void ReportUnreachable(ulong nodeId) => _reports.Enqueue((nodeId, null));

    public void ReportSnapshot(ulong nodeId, SnapshotStatus status) => _reports.Enqueue((nodeId, status));

    private void Run()
    {
        if (Campaign)
        {
            Node.Campaign();
        }
        TimeProvider time = TimeProvider.System;
        long tickInterval = time.TimestampFrequency * _tickMillis / 1000;
        long nextTick = time.GetTimestamp() + tickInterval;
        var payload = new byte[16];
        while (!_stop)
        {
            Interlocked.Increment(ref _cycles);
            bool busy = Transport.Poll(time.GetTimestamp()) > 0;
            while (_inbox.TryDequeue(out InboundBatch? batch))
            {
                foreach (ref readonly Message m in batch.Messages)
                {
                    Node.Step(in m);
                }
                batch.Release();
                busy = true;
            }
            while (_reports.TryDequeue(out (ulong Peer, SnapshotStatus? Status) r))
            {
                if (r.Status is SnapshotStatus s)
                {
                    SnapshotReports.Enqueue(s);
                    Node.ReportSnapshot(r.Peer, s);
                }
                else
                {
                    Node.ReportUnreachable(r.Peer);
                }
            }
            long now = time.GetTimestamp();
            if (now >= nextTick)
            {
                Node.Tick();
                nextTick = now + tickInterval;
            }
            _isLeader = Node.BasicStatus().SoftState.RaftState == StateType.StateLeader;
            if (_isLeader)
            {
                busy |= ProposeMore(payload);
            }
            while (Node.HasReady())
            {
                HandleReady();
                busy = true;
            }
            if (busy)
            {
                continue;
            }
            if (Transport.WaitSource is { } waitSource)
            {
                waitSource.Wait(time.GetElapsedTime(time.GetTimestamp(), nextTick));
            }
            else
            {
                Thread.Sleep(1);
            }
        }
    }

    private void HandleReady()
    {
        Ready rd = Node.Ready();
        if (rd.Snapshot is { IsEmpty: false } snap)
        {
            Assert.Equal(StorageStatus.Ok, Storage.ApplySnapshot(snap));
            Restore(snap);
        }
        if (!rd.HardState.IsEmpty)
        {
            Storage.SetHardState(rd.HardState);
            Volatile.Write(ref _commit, rd.HardState.Commit);
        }
        Storage.Append(rd.Entries);
        foreach (ref readonly Message m in rd.Messages.Span)
        {
            Transport.Send(in m);
        }
        Transport.Flush();
        ulong last = 0;
        foreach (ref readonly Entry e in rd.CommittedEntries.Span)
        {
            if (e.Type == EntryType.EntryNormal && !e.Data.IsEmpty)
            {
                _applied.Add(e.Data.ToArray());
                Interlocked.Increment(ref _appliedCount);
            }
            last = e.Index;
        }
        if (last != 0)
        {
            _lastAppliedIndex = last;
        }
        Node.Advance();
        Storage.AdvanceEpoch();
        if (last != 0 && CompactEvery != 0 && last >= _lastCompacted + CompactEvery)
        {
            // The snapshot is the state: every applied payload so far.
            byte[] state = [.. _applied.SelectMany(b => b)];
            Assert.Equal(StorageStatus.Ok, Storage.CreateSnapshot(last, null, state, out _));
            Assert.Equal(StorageStatus.Ok, Storage.Compact(last));
            _lastCompacted = last;
        }
    }

    private void Restore(Snapshot snap)
    {
        RestoredSnapshots.Enqueue(snap);
        _applied.Clear();
        ReadOnlySpan<byte> data = snap.Data.Span;
        for (int i = 0; i + 16 <= data.Length; i += 16)
        {
            _applied.Add(data.Slice(i, 16).ToArray());
        }
        Interlocked.Exchange(ref _appliedCount, _applied.Count);
        _lastAppliedIndex = snap.Metadata.Index;
    }

    private bool ProposeMore(byte[] payload)
    {
        bool any = false;
        ulong pending = Node.LastIndex - _lastAppliedIndex;
        while (AppliedCount + (long)pending < ProposeUntil && pending < ProposalWindow)
        {
            _proposed++;
            BinaryPrimitives.WriteUInt64LittleEndian(payload, Id);
            BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(8), _proposed);
            if (Node.Propose(payload) != StepResult.Ok)
            {
                break;
            }
            pending = Node.LastIndex - _lastAppliedIndex;
            any = true;
        }
        return any;
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
