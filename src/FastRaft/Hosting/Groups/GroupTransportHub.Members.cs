using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using FastRaft.Protocol;

namespace FastRaft.Hosting.Groups;

// The groups' views, and the union of their configurations that the process transport is given.
internal sealed partial class GroupTransportHub
{
    private readonly Lock _registryGate = new();
    private readonly ConcurrentDictionary<ulong, GroupTransportView> _views = new();
    private readonly Lock _snapshotGate = new();
    private readonly Dictionary<ulong, List<ulong>> _snapshotSenders = [];

    // Replaced whole under the registry lock, so report fan-outs iterate it without one.
    private volatile GroupTransportView[] _viewList = [];
    private int _membershipChanged;
    private ulong[] _appliedMembers = [];

    /// <summary>Groups registered now.</summary>
    public int GroupCount => _views.Count;

    /// <summary>Builds the view of group <paramref name="groupId"/>; it joins the hub when its node starts it.</summary>
    public GroupTransportView CreateView(ulong groupId, Agents.IWaitSource waitSource) => new(this, groupId, waitSource);

    /// <summary>A view's group starts receiving (its node started it).</summary>
    public void Register(GroupTransportView view)
    {
        lock (_registryGate)
        {
            if (!_views.TryAdd(view.GroupId, view))
            {
                throw new InvalidOperationException($"group {view.GroupId} already has a transport on this hub");
            }
            _viewList = [.. _viewList, view];
        }
        OnMembershipChanged();
    }

    /// <summary>A view's group left (its node closed): later messages for it are unknown-group drops.</summary>
    public void Unregister(GroupTransportView view)
    {
        lock (_registryGate)
        {
            if (!_views.TryRemove(new KeyValuePair<ulong, GroupTransportView>(view.GroupId, view)))
            {
                return;
            }
            _viewList = Array.FindAll(_viewList, v => !ReferenceEquals(v, view));
        }
        OnMembershipChanged();
    }

    /// <summary>A group's configuration changed (its runner thread): the hub recomputes the union on its next cycle.</summary>
    public void OnMembershipChanged()
    {
        Volatile.Write(ref _membershipChanged, 1);
        WaitSource.Wake();
    }

    private bool TryFind(ulong groupId, [NotNullWhen(true)] out GroupTransportView? view) => _views.TryGetValue(groupId, out view);

    /// <summary>
    /// On the hub's thread, before sending: tells the process transport the union of every group's
    /// members when it changed. An empty union (no groups left) is not passed on, so the transport
    /// keeps the peers it was built with for the next group.
    /// </summary>
    private int ApplyMembershipIfChanged(long now)
    {
        if (Interlocked.Exchange(ref _membershipChanged, 0) == 0)
        {
            return 0;
        }
        var union = new SortedSet<ulong>();
        foreach (GroupTransportView view in _viewList)
        {
            union.UnionWith(view.Members);
        }
        ulong[] members = [.. union];
        if (members.Length == 0 || members.AsSpan().SequenceEqual(_appliedMembers))
        {
            return 0;
        }
        _appliedMembers = members;
        _transport.OnConfigurationChanged(new ConfState { Voters = members });
        UpdateLivenessPeers(members, now);
        return 1;
    }
}
