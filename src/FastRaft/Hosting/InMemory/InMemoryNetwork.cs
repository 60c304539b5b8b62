namespace FastRaft.Hosting.InMemory;

/// <summary>
/// A network inside one process, for tests and simulation: nodes join through their
/// <see cref="InMemoryTransport"/>; each flush queues one deep-copied batch of its messages in
/// every destination's inbox, which the destination's node drains when it polls its transport, on
/// its own thread. Faults can be injected: random loss, duplication and reordering (seeded, per
/// sending node) and partitions (blocked directions). Given a seed and a deterministic order of
/// sends, flushes and polls (nodes driven one after another by manual invokers), every run
/// delivers the same messages in the same order. All members are thread-safe.
/// </summary>
public sealed class InMemoryNetwork
{
    /// <summary>Stands for every node in <see cref="Block"/> and <see cref="Unblock"/>.</summary>
    public const ulong AnyNode = 0;

    private readonly Lock _gate = new();

    // Replaced whole on change, so senders read them without taking the lock.
    private volatile Dictionary<ulong, Endpoint> _endpoints = [];
    private volatile HashSet<(ulong From, ulong To)> _blocked = [];

    private int _maxQueuedBatches = 4096;
    private double _lossProbability;
    private double _duplicateProbability;
    private double _reorderProbability;
    private int _maxReorderDelay = 3;

    internal long DeliveredCount;
    internal long LostCount;
    internal long DuplicatedCount;
    internal long ReorderedCount;
    internal long BlockedCount;
    internal long UnknownCount;
    internal long RefusedCount;

    /// <param name="seed">Seeds every transport's fault decisions (combined with its node id), so runs repeat.</param>
    public InMemoryNetwork(int seed = 1)
    {
        Seed = seed;
    }

    /// <summary>The seed of the network's fault decisions (loss, duplication, reordering).</summary>
    public int Seed { get; }

    /// <summary>Batches are rented from here and returned by the receiving node once stepped.</summary>
    internal InboundBatchPool Pool { get; } = new(maxPooled: 1024, initialBytes: 4096);

    /// <summary>Probability that a message is silently lost.</summary>
    public double LossProbability
    {
        get => Volatile.Read(ref _lossProbability);
        set => Volatile.Write(ref _lossProbability, CheckProbability(value));
    }

    /// <summary>Probability that a message is delivered twice.</summary>
    public double DuplicateProbability
    {
        get => Volatile.Read(ref _duplicateProbability);
        set => Volatile.Write(ref _duplicateProbability, CheckProbability(value));
    }

    /// <summary>Probability that a message is held back and delivered after later ones (1 to <see cref="MaxReorderDelay"/> flushes later).</summary>
    public double ReorderProbability
    {
        get => Volatile.Read(ref _reorderProbability);
        set => Volatile.Write(ref _reorderProbability, CheckProbability(value));
    }

    /// <summary>The most flushes a held-back message waits.</summary>
    public int MaxReorderDelay
    {
        get => Volatile.Read(ref _maxReorderDelay);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref _maxReorderDelay, value);
        }
    }

    /// <summary>What happened to the messages sent so far (delivered, lost, duplicated, reordered, blocked, to unknown nodes, refused).</summary>
    public InMemoryNetworkCounters Counters => new(
        Volatile.Read(ref DeliveredCount),
        Volatile.Read(ref LostCount),
        Volatile.Read(ref DuplicatedCount),
        Volatile.Read(ref ReorderedCount),
        Volatile.Read(ref BlockedCount),
        Volatile.Read(ref UnknownCount),
        Volatile.Read(ref RefusedCount));

    /// <summary>Batches a node's inbox holds until its node polls; beyond it deliveries are refused, as a full receive buffer would.</summary>
    public int MaxQueuedBatches
    {
        get => Volatile.Read(ref _maxQueuedBatches);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref _maxQueuedBatches, value);
        }
    }

    /// <summary>A transport for <paramref name="nodeId"/>; it joins the network when the node starts it.</summary>
    public InMemoryTransport CreateTransport(ulong nodeId) => CreateTransport(nodeId, null);

    /// <summary>
    /// A transport for <paramref name="nodeId"/> whose <see cref="InMemoryTransport.WaitSource"/> is
    /// <paramref name="waitSource"/> (null: a signal of its own). Transports given one wait source
    /// let a <see cref="Agents.CompositeAgentRunner"/> running their nodes block on it.
    /// </summary>
    public InMemoryTransport CreateTransport(ulong nodeId, Agents.IWaitSource? waitSource)
    {
        ArgumentOutOfRangeException.ThrowIfZero(nodeId);
        return new InMemoryTransport(this, nodeId, waitSource ?? new Agents.SignalWaitSource(), MaxQueuedBatches);
    }

    /// <summary>Drops every message from <paramref name="from"/> to <paramref name="to"/> (either may be <see cref="AnyNode"/>).</summary>
    public void Block(ulong from, ulong to) => UpdateBlocked(set => set.Add((from, to)));

    /// <summary>Lets messages from <paramref name="from"/> to <paramref name="to"/> through again (undoes a matching <see cref="Block"/>).</summary>
    public void Unblock(ulong from, ulong to) => UpdateBlocked(set => set.Remove((from, to)));

    /// <summary>Cuts <paramref name="nodeId"/> off from everyone, both ways.</summary>
    public void Isolate(ulong nodeId)
    {
        Block(nodeId, AnyNode);
        Block(AnyNode, nodeId);
    }

    /// <summary>Removes every partition.</summary>
    public void Heal() => UpdateBlocked(set => set.Clear());

    /// <summary>Turns off loss, duplication and reordering, and heals every partition.</summary>
    public void ClearFaults()
    {
        LossProbability = 0;
        DuplicateProbability = 0;
        ReorderProbability = 0;
        Heal();
    }

    /// <summary>Whether a node with this id is on the network now.</summary>
    public bool IsConnected(ulong nodeId) => _endpoints.ContainsKey(nodeId);

    internal bool TryGetTransport(ulong nodeId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out InMemoryTransport? transport)
    {
        if (_endpoints.TryGetValue(nodeId, out Endpoint? e))
        {
            transport = e.Owner;
            return true;
        }
        transport = null;
        return false;
    }

    internal bool IsBlocked(ulong from, ulong to)
    {
        HashSet<(ulong, ulong)> blocked = _blocked;
        return blocked.Count > 0
            && (blocked.Contains((from, to)) || blocked.Contains((from, AnyNode)) || blocked.Contains((AnyNode, to)));
    }

    internal void Register(InMemoryTransport transport)
    {
        lock (_gate)
        {
            if (_endpoints.ContainsKey(transport.LocalId))
            {
                throw new InvalidOperationException($"node {transport.LocalId:x} is already on the network");
            }
            _endpoints = new Dictionary<ulong, Endpoint>(_endpoints) { [transport.LocalId] = new Endpoint(transport) };
        }
    }

    internal void Unregister(InMemoryTransport transport)
    {
        lock (_gate)
        {
            if (_endpoints.TryGetValue(transport.LocalId, out Endpoint? e) && ReferenceEquals(e.Owner, transport))
            {
                var copy = new Dictionary<ulong, Endpoint>(_endpoints);
                copy.Remove(transport.LocalId);
                _endpoints = copy;
            }
        }
    }

    private void UpdateBlocked(Action<HashSet<(ulong, ulong)>> change)
    {
        lock (_gate)
        {
            var copy = new HashSet<(ulong, ulong)>(_blocked);
            change(copy);
            _blocked = copy;
        }
    }

    private static double CheckProbability(double p)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "a probability is between 0 and 1");
        }
        return p;
    }

    private sealed record Endpoint(InMemoryTransport Owner);
}

/// <summary>What an <see cref="InMemoryNetwork"/> did with the messages sent through it.</summary>
/// <param name="Delivered">Messages handed to a destination node when it polled (duplicates included).</param>
/// <param name="Lost">Messages dropped by the loss probability.</param>
/// <param name="Duplicated">Extra copies delivered.</param>
/// <param name="Reordered">Messages held back behind later ones.</param>
/// <param name="Blocked">Messages dropped by a partition.</param>
/// <param name="UnknownDestination">Messages to a node not on the network (reported unreachable).</param>
/// <param name="Refused">Messages a destination refused (its inbox full, or its node stopping or refusing them when it polled).</param>
public readonly record struct InMemoryNetworkCounters(
    long Delivered, long Lost, long Duplicated, long Reordered, long Blocked, long UnknownDestination, long Refused);
