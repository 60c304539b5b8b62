using System.Diagnostics.CodeAnalysis;
using FastRaft.Core;
using FastRaft.Hosting.Agents;
using FastRaft.Protocol;

namespace FastRaft.Hosting.InMemory;

/// <summary>
/// One node's connection to an <see cref="InMemoryNetwork"/>, polled by its node. <see cref="Send"/>
/// deep-copies each message into a pooled batch per destination; <see cref="Flush"/> queues each
/// destination's batch in that destination's inbox and wakes it; <see cref="Poll"/> hands the
/// batches in this transport's inbox to its node's sink, on the node's thread. Messages to a node
/// not on the network are counted, dropped and reported unreachable; a snapshot message is
/// reported finished once the destination's node took it, failed otherwise. Send, Flush and Poll
/// run on the owning node's thread only. Messages a group hub hands over already copied (see
/// <see cref="IBatchSharingTransport"/>) are queued sharing the hub's batch, not copied again.
/// </summary>
public sealed class InMemoryTransport : ITransport, IBatchSharingTransport
{
    /// <summary>Batches handed to the sink per poll (the rest wait for the next one).</summary>
    private const int MaxBatchesPerPoll = 64;

    private readonly InMemoryNetwork _network;
    private readonly Random _random;
    private readonly Dictionary<ulong, Link> _links = [];
    private readonly List<Link> _active = [];
    private readonly MpscRing<InboxItem> _inbox;
    private readonly InboxItem[] _polled = new InboxItem[MaxBatchesPerPoll];
    private readonly IWaitSource _waitSource;
    private ITransportSink? _sink;
    private volatile bool _disposed;

    internal InMemoryTransport(InMemoryNetwork network, ulong localId, IWaitSource waitSource, int maxQueuedBatches)
    {
        _network = network;
        LocalId = localId;
        _waitSource = waitSource;
        _inbox = new MpscRing<InboxItem>(64, maxQueuedBatches);
        _random = new Random(unchecked((network.Seed * 1_000_003) ^ (int)localId ^ (int)(localId >> 32)));
    }

    /// <inheritdoc />
    public ulong LocalId { get; }

    /// <summary>Signalled whenever a batch arrives in this transport's inbox (and by producers waking the node).</summary>
    public IWaitSource WaitSource => _waitSource;

    /// <inheritdoc />
    public void Start(ITransportSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_sink is not null)
        {
            throw new InvalidOperationException("the transport is already started");
        }
        _sink = sink;
        _network.Register(this);
    }

    /// <inheritdoc />
    public void Send(in Message message) => Queue(in message, null);

    void IBatchSharingTransport.SendShared(in Message message, InboundBatch owner) => Queue(in message, owner);

    /// <summary>Queues <paramref name="message"/> for its destination: a copy, or, with an <paramref name="owner"/>, sharing that batch's memory.</summary>
    private void Queue(in Message message, InboundBatch? owner)
    {
        ITransportSink self = _sink ?? ThrowNotStarted();
        if (_disposed)
        {
            return;
        }
        ulong to = message.To;
        bool snapshot = message.Type == MessageType.Snapshot;
        if (!_network.IsConnected(to))
        {
            Interlocked.Increment(ref _network.UnknownCount);
            ReportFailure(self, to, snapshot);
            return;
        }
        if (_network.IsBlocked(LocalId, to))
        {
            Interlocked.Increment(ref _network.BlockedCount);
            ReportFailure(self, to, snapshot);
            return;
        }
        if (Chance(_network.LossProbability))
        {
            Interlocked.Increment(ref _network.LostCount);
            if (snapshot)
            {
                self.ReportSnapshot(to, SnapshotStatus.Failure);
            }
            return;
        }
        Link link = LinkTo(to);
        InboundBatch batch;
        if (Chance(_network.ReorderProbability))
        {
            Interlocked.Increment(ref _network.ReorderedCount);
            if (link.Held is null)
            {
                link.Held = _network.Pool.Rent();
                link.HeldFlushes = 1 + _random.Next(_network.MaxReorderDelay);
            }
            batch = link.Held;
            link.HeldSnapshot |= snapshot;
        }
        else
        {
            batch = link.Current ??= _network.Pool.Rent();
            link.CurrentSnapshot |= snapshot;
        }
        Add(batch, in message, owner);
        if (Chance(_network.DuplicateProbability))
        {
            Interlocked.Increment(ref _network.DuplicatedCount);
            Add(batch, in message, owner);
        }
        if (!link.Active)
        {
            link.Active = true;
            _active.Add(link);
        }
    }

    /// <inheritdoc />
    public void Flush()
    {
        ITransportSink self = _sink ?? ThrowNotStarted();
        for (int i = _active.Count - 1; i >= 0; i--)
        {
            Link link = _active[i];
            if (link.Current is { } current)
            {
                link.Current = null;
                Forward(self, link.Id, current, link.CurrentSnapshot);
                link.CurrentSnapshot = false;
            }
            // Held messages go after this flush's ones: that is the reordering.
            if (link.Held is { } held && --link.HeldFlushes <= 0)
            {
                link.Held = null;
                Forward(self, link.Id, held, link.HeldSnapshot);
                link.HeldSnapshot = false;
            }
            if (link.Held is null)
            {
                link.Active = false;
                _active[i] = _active[^1];
                _active.RemoveAt(_active.Count - 1);
            }
        }
    }

    /// <summary>
    /// Hands the batches waiting in the inbox to the node's sink (up to 64 per call), oldest first,
    /// and tells each sender of a snapshot whether its node took it. Returns how many batches.
    /// </summary>
    public int Poll(long now)
    {
        ITransportSink sink = _sink ?? ThrowNotStarted();
        int n = _inbox.Drain(_polled);
        for (int i = 0; i < n; i++)
        {
            InboxItem item = _polled[i];
            _polled[i] = default;
            int count = item.Batch.Count;
            // From here the sink owns the batch, accepted or not.
            if (sink.Deliver(item.Batch))
            {
                Interlocked.Add(ref _network.DeliveredCount, count);
                if (item.HasSnapshot)
                {
                    item.Sender.ReportSnapshot(LocalId, SnapshotStatus.Finish);
                }
            }
            else
            {
                Interlocked.Add(ref _network.RefusedCount, count);
                ReportFailure(item.Sender, LocalId, item.HasSnapshot);
            }
        }
        return n;
    }

    /// <summary>Leaves the network; messages not yet flushed are dropped, and those waiting in the inbox are refused.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _network.Unregister(this);
        _inbox.Close();
        int n;
        while ((n = _inbox.Drain(_polled)) > 0)
        {
            for (int i = 0; i < n; i++)
            {
                InboxItem item = _polled[i];
                _polled[i] = default;
                Interlocked.Add(ref _network.RefusedCount, item.Batch.Count);
                item.Batch.Release();
                ReportFailure(item.Sender, LocalId, item.HasSnapshot);
            }
        }
        foreach (Link link in _links.Values)
        {
            link.Current?.Release();
            link.Held?.Release();
            link.Current = null;
            link.Held = null;
        }
        _active.Clear();
    }

    /// <summary>Queues a batch from another node (its thread); false when the inbox is full or closed.</summary>
    private bool Enqueue(in InboxItem item)
    {
        if (_inbox.TryEnqueue(item) != EnqueueResult.Ok)
        {
            return false;
        }
        _waitSource.Wake();
        return true;
    }

    private void Forward(ITransportSink self, ulong to, InboundBatch batch, bool hasSnapshot)
    {
        int count = batch.Count;
        if (!_network.TryGetTransport(to, out InMemoryTransport? destination))
        {
            // The destination left after the messages were queued.
            batch.Release();
            Interlocked.Add(ref _network.UnknownCount, count);
            ReportFailure(self, to, hasSnapshot);
            return;
        }
        if (!destination.Enqueue(new InboxItem(batch, self, hasSnapshot)))
        {
            batch.Release();
            Interlocked.Add(ref _network.RefusedCount, count);
            ReportFailure(self, to, hasSnapshot);
        }
    }

    private static void Add(InboundBatch batch, in Message message, InboundBatch? owner)
    {
        if (owner is null)
        {
            batch.AddCopy(in message);
        }
        else
        {
            batch.AddShared(in message, owner);
        }
    }

    private static void ReportFailure(ITransportSink sender, ulong to, bool snapshot)
    {
        sender.ReportUnreachable(to);
        if (snapshot)
        {
            sender.ReportSnapshot(to, SnapshotStatus.Failure);
        }
    }

    [DoesNotReturn]
    private static ITransportSink ThrowNotStarted() => throw new InvalidOperationException("the transport is not started");

    private bool Chance(double probability) => probability > 0 && _random.NextDouble() < probability;

    private Link LinkTo(ulong to)
    {
        if (!_links.TryGetValue(to, out Link? link))
        {
            link = new Link(to);
            _links.Add(to, link);
        }
        return link;
    }

    /// <summary>A batch in a destination's inbox, with the sink of the node that sent it (for delivery reports).</summary>
    private readonly record struct InboxItem(InboundBatch Batch, ITransportSink Sender, bool HasSnapshot);

    /// <summary>What is queued for one destination.</summary>
    private sealed class Link(ulong id)
    {
        public ulong Id { get; } = id;
        public InboundBatch? Current;
        public bool CurrentSnapshot;
        public InboundBatch? Held;
        public int HeldFlushes;
        public bool HeldSnapshot;
        public bool Active;
    }
}
