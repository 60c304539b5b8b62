namespace FastRaft.Core.Quorum;

/// <summary>A plain sorted set of node ids (learners, staged learners).</summary>
internal sealed class NodeIdSet : SortedIdSet
{
    public NodeIdSet()
    {
    }

    private NodeIdSet(NodeIdSet other) : base(other)
    {
    }

    public NodeIdSet Clone() => new(this);
}
