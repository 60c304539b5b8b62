using FastRaft.Core.Storage;
using FastRaft.Hosting.Agents;

namespace FastRaft.Hosting.Groups;

/// <summary>
/// The one transport of a multi-group process, as an agent on runner 0 of a
/// <see cref="RaftGroupHost"/>: it owns the process <see cref="ITransport"/> and gives each group
/// a <see cref="GroupTransportView"/>. A cycle polls the process transport and routes what
/// arrives to the groups by <c>Message.GroupId</c> (an unknown group is a counted drop); drains
/// the batches the groups flushed; if a shared log is attached and has unsynced writes, syncs it
/// once; then sends everything (heartbeats to one node coalesced into one control message, plus
/// the liveness pings due) and flushes the process transport once, so messages for one peer from
/// every group leave together.
/// </summary>
/// <remarks>
/// Delivery reports of the process transport are fanned out: <c>ReportUnreachable(node)</c> to
/// every group whose configuration has that node; <c>ReportSnapshot(node, status)</c> to every
/// group that sent a snapshot to that node since the last snapshot report for it (a transport
/// reports per node, not per message, so two groups' snapshots to one node in flight at once
/// share the first report: at worst a group hears "finished" early and probes, or "failed" and
/// retries, which Raft tolerates).
/// </remarks>
internal sealed partial class GroupTransportHub : IAgent, ITransportSink
{
    /// <summary>
    /// Batches sent per cycle (the rest wait for the next one). The hub shares its runner with the
    /// groups and runs once per pass (more often only in passes longer than a millisecond), so it drains at least what thousands of groups flush in one
    /// pass: with 256, 2,000 groups electing at once built a backlog that aged their heartbeats and
    /// took twice as long to settle.
    /// </summary>
    private const int MaxBatchesPerCycle = 8192;

    /// <summary>Group flushes queued for the hub at most; beyond, messages are dropped and counted, as a full network buffer would.</summary>
    private const int MaxQueuedBatches = 1 << 16;

    private readonly ITransport _transport;
    private readonly IBatchSharingTransport? _sharing;
    private readonly IGroupCommit? _commit;
    private readonly HubCounters _counters = new();
    private readonly MpscRing<InboundBatch> _outbound = new(64, MaxQueuedBatches);
    private readonly InboundBatch[] _drained = new InboundBatch[MaxBatchesPerCycle];
    private readonly InboundBatchPool _outboundPool = new(maxPooled: 1024, initialBytes: 4096);
    private readonly InboundBatchPool _inboundPool = new(maxPooled: 1024, initialBytes: 1024);
    private volatile bool _stopRequested;
    private Exception? _fault;
    private int _opened;
    private int _closed;

    /// <param name="transport">The process transport; the hub starts it, and disposes it when it closes.</param>
    /// <param name="commit">The shared log to sync before sending, or null.</param>
    /// <param name="options">The host's options (clock, liveness timing).</param>
    /// <param name="signal">What the hub waits on when the transport has no wait source (its runner's signal).</param>
    public GroupTransportHub(ITransport transport, IGroupCommit? commit, RaftGroupHostOptions options, IWaitSource signal)
    {
        _transport = transport;
        _sharing = transport as IBatchSharingTransport;
        _commit = commit;
        Time = options.Time;
        LocalId = transport.LocalId;
        MaxWholeMessageSize = transport.MaxWholeMessageSize;
        WaitSource = transport.WaitSource ?? signal;
        _coalescer = new HeartbeatCoalescer(MaxWholeMessageSize);
        _livenessInterval = HostConfig.TimestampUnits(options.LivenessInterval, Time);
        _livenessTimeout = HostConfig.TimestampUnits(options.LivenessTimeout, Time);
    }

    /// <summary>The process's node id (the process transport's).</summary>
    public ulong LocalId { get; }

    /// <summary>The process transport's bound on a whole message (what every group sizes its appends by).</summary>
    public int MaxWholeMessageSize { get; }

    public string Name => $"raft-group-transport-{LocalId:x}";

    public TimeProvider Time { get; }

    /// <summary>The process transport's wait source, or the hub runner's signal when it has none.</summary>
    public IWaitSource WaitSource { get; }

    public bool IsDone => _stopRequested;

    /// <summary>Why the hub stopped on its own (a failed sync of the shared log, a transport failure), or null.</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    public GroupTransportCounters Counters => _counters.Snapshot();

    /// <summary>The live counts themselves (for the host's meter, which reads them at collection time).</summary>
    public HubCounters LiveCounters => _counters;

    /// <summary>Starts the process transport with the hub as its sink, once (the host does it at construction, to see a failure at once).</summary>
    public void Open()
    {
        if (Interlocked.Exchange(ref _opened, 1) == 0)
        {
            _transport.Start(this);
        }
    }

    public void OnStart() => Open();

    public int DoWork(long now)
    {
        if (_stopRequested)
        {
            return 0;
        }
        try
        {
            int work = _transport.Poll(now);
            return work + SendCycle(now);
        }
        catch (Exception ex)
        {
            // A failed sync leaves the groups' writes of unknown durability: nothing may leave the
            // process any more, so the hub stops (the groups are cut off, which is safe).
            Volatile.Write(ref _fault, ex);
            RequestStop();
            return 1;
        }
    }

    /// <summary>Asks the hub to stop (any thread): its runner closes it, which disposes the process transport.</summary>
    public void RequestStop()
    {
        _stopRequested = true;
        WaitSource.Wake();
    }

    public void OnClose()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        _stopRequested = true;
        _outbound.Close();
        int n;
        while ((n = _outbound.Drain(_drained)) > 0)
        {
            for (int i = 0; i < n; i++)
            {
                Interlocked.Add(ref _counters.OutboundDrops, _drained[i].Count);
                _drained[i].Release();
                _drained[i] = null!;
            }
        }
        _transport.Dispose();
    }
}
