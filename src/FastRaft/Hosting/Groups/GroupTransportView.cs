using FastRaft.Hosting.Agents;
using FastRaft.Protocol;

namespace FastRaft.Hosting.Groups;

/// <summary>
/// One group's transport in a shared-transport <see cref="RaftGroupHost"/>: what the group's node
/// sends is stamped with the group id and deep-copied into a pooled batch, which
/// <see cref="Flush"/> hands to the <see cref="GroupTransportHub"/> (it sends every group's
/// batches with one flush of the process transport). Inbound messages of the group reach the
/// sink given to <see cref="Start"/> through the hub. Send and Flush run on the group's runner
/// thread only.
/// </summary>
internal sealed class GroupTransportView : ITransport, IPushOnlyTransport
{
    private readonly GroupTransportHub _hub;
    private InboundBatch? _pending;
    private volatile ITransportSink? _sink;
    private volatile ulong[] _members = [];
    private volatile bool _disposed;

    public GroupTransportView(GroupTransportHub hub, ulong groupId, IWaitSource waitSource)
    {
        _hub = hub;
        GroupId = groupId;
        WaitSource = waitSource;
    }

    public ulong GroupId { get; }

    public ulong LocalId => _hub.LocalId;

    /// <summary>The hub's source for a group on the hub's runner, that runner's own signal otherwise (so each runner blocks on one source).</summary>
    public IWaitSource WaitSource { get; }

    /// <inheritdoc />
    /// <remarks>The hub delivers into the sink from its own thread; <see cref="ITransport.Poll"/> is never overridden here.</remarks>
    public bool OnlyPushes => true;

    public int MaxWholeMessageSize => _hub.MaxWholeMessageSize;

    /// <summary>The group's sink once started; null before and after (any thread).</summary>
    public ITransportSink? Sink => _disposed ? null : _sink;

    /// <summary>Every node of the group's last configuration, sorted (any thread).</summary>
    public ulong[] Members => _members;

    public void Start(ITransportSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_sink is not null)
        {
            throw new InvalidOperationException($"group {GroupId}: the transport is already started");
        }
        _sink = sink;
        _hub.Register(this);
    }

    public void Send(in Message message)
    {
        if (_disposed)
        {
            return;
        }
        InboundBatch batch = _pending ??= _hub.RentOutbound();
        Message stamped = message;
        stamped.GroupId = GroupId;
        if (stamped.Snapshot is { } snapshot)
        {
            // The batch shares the snapshot object: give it data of its own (snapshots are rare).
            stamped.Snapshot = new Snapshot(snapshot.Data.ToArray(), snapshot.Metadata);
        }
        batch.AddCopy(in stamped);
    }

    public void Flush()
    {
        InboundBatch? batch = _pending;
        if (batch is null)
        {
            return;
        }
        _pending = null;
        _hub.Publish(this, batch);
    }

    public void OnConfigurationChanged(ConfState confState)
    {
        ArgumentNullException.ThrowIfNull(confState);
        _members = MembersOf(confState);
        _hub.OnMembershipChanged();
    }

    /// <summary>Leaves the hub: later messages for the group are unknown-group drops.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _hub.Unregister(this);
        _pending?.Release();
        _pending = null;
    }

    /// <summary>Every id of every list of the configuration, sorted, without duplicates.</summary>
    internal static ulong[] MembersOf(ConfState cs)
    {
        var ids = new SortedSet<ulong>();
        ids.UnionWith(cs.Voters);
        ids.UnionWith(cs.Learners);
        ids.UnionWith(cs.VotersOutgoing);
        ids.UnionWith(cs.LearnersNext);
        return [.. ids];
    }
}
