using FastRaft.Protocol;

namespace FastRaft.Hosting;

/// <summary>
/// What the node thread publishes for readers on any thread: leadership, term, and how far the
/// log is committed and applied. Written by the node thread only.
/// </summary>
internal sealed class PublishedStatus
{
    private ulong _leader;
    private ulong _term;
    private int _role = (int)NodeRole.Follower;
    private ulong _applied;
    private ulong _commit;

    public ulong Leader
    {
        get => Volatile.Read(ref _leader);
        set => Volatile.Write(ref _leader, value);
    }

    public ulong Term
    {
        get => Volatile.Read(ref _term);
        set => Volatile.Write(ref _term, value);
    }

    public NodeRole Role
    {
        get => (NodeRole)Volatile.Read(ref _role);
        set => Volatile.Write(ref _role, (int)value);
    }

    public ulong Applied
    {
        get => Volatile.Read(ref _applied);
        set => Volatile.Write(ref _applied, value);
    }

    public ulong Commit
    {
        get => Volatile.Read(ref _commit);
        set => Volatile.Write(ref _commit, value);
    }
}
