namespace FastRaft.Protocol;

/// <summary>The state a node must persist before sending messages: term, vote and commit index.</summary>
public readonly record struct HardState(ulong Term, ulong Vote, ulong Commit)
{
    public static readonly HardState Empty;

    public bool IsEmpty => Term == 0 && Vote == 0 && Commit == 0;
}
