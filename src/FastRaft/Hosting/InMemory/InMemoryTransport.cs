using System.Diagnostics.CodeAnalysis;
using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Hosting.InMemory;

/// <summary>
/// One node's connection to an <see cref="InMemoryNetwork"/>. <see cref="Send"/> deep-copies each
/// message into a pooled batch per destination; <see cref="Flush"/> hands each destination its
/// batch. Messages to a node not on the network are counted, dropped and reported unreachable;
/// snapshot messages are reported finished once handed over, failed otherwise. Send and Flush run
/// on the owning node's thread only.
/// </summary>
public sealed class InMemoryTransport : ITransport
{
    private readonly InMemoryNetwork _network;
    private readonly Random _random;
    private readonly Dictionary<ulong, Link> _links = [];
    private readonly List<Link> _active = [];
    private ITransportSink? _sink;
    private bool _disposed;

    internal InMemoryTransport(InMemoryNetwork network, ulong localId)
    {
        _network = network;
        LocalId = localId;
        _random = new Random(unchecked((network.Seed * 1_000_003) ^ (int)localId ^ (int)(localId >> 32)));
    }

    public ulong LocalId { get; }

    public void Start(ITransportSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_sink is not null)
        {
            throw new InvalidOperationException("the transport is already started");
        }
        _network.Register(this, sink);
        _sink = sink;
    }

    public void Send(in Message message)
    {
        ITransportSink self = _sink ?? ThrowNotStarted();
        if (_disposed)
        {
            return;
        }
        ulong to = message.To;
        bool snapshot = message.Type == MessageType.MsgSnap;
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
                self.ReportSnapshot(to, SnapshotStatus.SnapshotFailure);
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
        batch.AddCopy(message);
        if (Chance(_network.DuplicateProbability))
        {
            Interlocked.Increment(ref _network.DuplicatedCount);
            batch.AddCopy(message);
        }
        if (!link.Active)
        {
            link.Active = true;
            _active.Add(link);
        }
    }

    public void Flush()
    {
        ITransportSink self = _sink ?? ThrowNotStarted();
        for (int i = _active.Count - 1; i >= 0; i--)
        {
            Link link = _active[i];
            if (link.Current is { } current)
            {
                link.Current = null;
                Deliver(self, link.Id, current, link.CurrentSnapshot);
                link.CurrentSnapshot = false;
            }
            // Held messages go after this flush's ones: that is the reordering.
            if (link.Held is { } held && --link.HeldFlushes <= 0)
            {
                link.Held = null;
                Deliver(self, link.Id, held, link.HeldSnapshot);
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

    /// <summary>Leaves the network; messages not yet flushed are dropped.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _network.Unregister(this);
        foreach (Link link in _links.Values)
        {
            link.Current?.Release();
            link.Held?.Release();
            link.Current = null;
            link.Held = null;
        }
        _active.Clear();
    }

    private void Deliver(ITransportSink self, ulong to, InboundBatch batch, bool hasSnapshot)
    {
        int count = batch.Count;
        if (!_network.TryGetSink(to, out ITransportSink? sink))
        {
            // The destination left after the messages were queued.
            batch.Release();
            Interlocked.Add(ref _network.UnknownCount, count);
            ReportFailure(self, to, hasSnapshot);
            return;
        }
        // From here the destination owns the batch, accepted or not.
        if (sink!.Deliver(batch))
        {
            Interlocked.Add(ref _network.DeliveredCount, count);
            if (hasSnapshot)
            {
                self.ReportSnapshot(to, SnapshotStatus.SnapshotFinish);
            }
        }
        else
        {
            Interlocked.Add(ref _network.RefusedCount, count);
            ReportFailure(self, to, hasSnapshot);
        }
    }

    private static void ReportFailure(ITransportSink self, ulong to, bool snapshot)
    {
        self.ReportUnreachable(to);
        if (snapshot)
        {
            self.ReportSnapshot(to, SnapshotStatus.SnapshotFailure);
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
